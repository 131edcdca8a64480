"""Demo enterprise service: city departments with handlers, a few hundred problems in every state, and
"one enterprise one policy" plans for key enterprises."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from mujun.core.history import bulk_create
from mujun.engine.demo import person_names, short_name
from mujun.enterprises.models import Enterprise
from mujun.services.models import Department, Problem, ServicePlan
from mujun.services.services import transition

# department, its handler's user name and name, the categories it usually takes
DEPARTMENTS = [
    ("市发展和改革委员会", "handler_fgw", "周敏", ["policy", "approval"]),
    ("市经济和信息化局", "handler_jxj", "吴刚", ["policy", "energy", "other"]),
    ("市自然资源和规划局", "handler_zrzy", "郑琳", ["land", "approval"]),
    ("市商务局", "handler_swj", "孙磊", ["logistics", "policy"]),
    ("市人力资源和社会保障局", "handler_rsj", "钱芳", ["talent"]),
    ("市金融工作服务中心", "handler_jrb", "冯涛", ["financing"]),
    ("国网湖州供电公司", "handler_gdj", "蒋红", ["energy"]),
    ("市交通运输局", "handler_jtj", "沈强", ["logistics"]),
]
TITLES = {
    "land": ["新增用地指标需求", "厂房扩建用地报批", "土地证办理进度", "配套用地规划调整"],
    "approval": ["环评审批加快", "施工许可办理", "消防验收协调", "能评审批进度"],
    "financing": ["流动资金贷款需求", "技改项目贴息申请", "应收账款融资", "担保额度不足"],
    "talent": ["高技能人才招引", "员工子女入学", "人才公寓申请", "一线用工短缺"],
    "energy": ["用电增容申请", "天然气供应保障", "用能指标不足", "光伏并网接入"],
    "logistics": ["货运通道拥堵", "出口集装箱紧张", "物流园区对接", "危化品运输许可"],
    "policy": ["技改补助政策兑现", "高新技术企业认定辅导", "外贸稳订单政策咨询", "亩均评价等级复核"],
    "other": ["周边道路修缮", "企业上市辅导", "知识产权保护", "安全生产指导"],
}
STATUS_SHARES = {
    "submitted": 0.08, "assigned": 0.12, "in_progress": 0.18, "answered": 0.12, "sent_back": 0.05, "closed": 0.45,
}  # fmt: skip


def load(context, problems: int = 360) -> None:
    rng = np.random.default_rng(context.seed + 11)
    User = get_user_model()
    password = make_password(context.password)
    handlers = bulk_create(
        User,
        [User(username=u, first_name=n, password=password, role=User.Role.HANDLER) for _d, u, n, _c in DEPARTMENTS],
        user=context.admin,
    )
    departments = bulk_create(
        Department, [Department(name=d, region=context.city) for d, *_rest in DEPARTMENTS], user=context.admin
    )
    for department, handler in zip(departments, handlers):
        department.handlers.add(handler)
    by_category = {}
    for department, (*_head, categories) in zip(departments, DEPARTMENTS):
        for category in categories:
            by_category.setdefault(category, []).append(department)

    largest = list(Enterprise.objects.order_by("-land_mu").values_list("pk", "name")[:2000])
    enterprise_ids = [pk for pk, _name in largest]
    if not enterprise_ids:
        context.log("services: no enterprises, no problems")
        return
    key = largest[:20]  # the largest land holders are the key enterprises
    cadres = person_names(len(key), seed=context.seed + 23)
    plans = bulk_create(
        ServicePlan,
        [
            ServicePlan(
                enterprise_id=pk,
                title=f"{short_name(name)}“一企一策”服务方案",
                cadre=cadres[i],
                goals="稳定生产、扩大有效投资；协调用地、用能、融资与人才；推动亩均效益提升。",
            )
            for i, (pk, name) in enumerate(key)
        ],
        user=context.admin,
    )
    now = timezone.now()
    today = timezone.localdate()
    statuses = rng.choice(list(STATUS_SHARES), size=problems, p=list(STATUS_SHARES.values()))
    categories = rng.choice(list(TITLES), size=problems)
    records = []
    for i in range(problems):
        status, category = str(statuses[i]), str(categories[i])
        in_plan = i % 6 == 0
        plan = plans[i % len(plans)] if in_plan else None
        enterprise_id = plan.enterprise_id if plan else int(rng.choice(enterprise_ids))
        submitted = now - dt.timedelta(days=float(rng.uniform(2, 240)))
        problem = Problem(
            enterprise_id=enterprise_id,
            plan=plan,
            category=category,
            title=str(rng.choice(TITLES[category])),
            description="走访中企业反映，请相关部门协调解决。",
            recorded_by=context.admin,
            submitted_at=submitted,
        )
        # The steps the problem went through, taken below through the services as they were taken then.
        steps = []
        if status != "submitted":
            department = by_category.get(category, departments)[int(rng.integers(len(by_category.get(category, departments))))]
            assigned_at = min(submitted + dt.timedelta(days=float(rng.uniform(0.2, 3))), now)
            # A third of the open ones run late: their deadline has passed.
            late = status in ("assigned", "in_progress", "sent_back") and rng.random() < 0.35
            days = -float(rng.uniform(1, 30)) if late else float(rng.uniform(5, 45))
            deadline = today + dt.timedelta(days=days) if status != "closed" else (assigned_at + dt.timedelta(days=30)).date()
            deadline = max(deadline, timezone.localdate(assigned_at))
            steps.append(("assign", {"department": department, "deadline": deadline, "at": assigned_at}))
        if status != "submitted" and status != "assigned":
            steps.append(("start", {"at": assigned_at}))
        if status in ("answered", "closed", "sent_back"):
            answered = assigned_at + dt.timedelta(days=float(rng.gamma(2.0, 4.0 + 3 * (i % 4))))
            answered_at = min(answered, now)
            steps.append(("answer", {"text": "已协调相关单位，明确办理路径和时间节点。", "at": answered_at}))
        if status == "sent_back":
            steps.append(("send_back", {"text": "企业认为答复未解决实际问题，请进一步协调。", "at": answered_at}))
        if status == "closed":
            closed_at = min(answered_at + dt.timedelta(days=float(rng.uniform(1, 7))), now)
            steps.append(("confirm", {"text": "企业确认问题已解决，表示满意。", "at": closed_at}))
        records.append((problem, steps))
    bulk_create(Problem, [problem for problem, _steps in records], user=context.admin)
    for problem, steps in records:
        for action, options in steps:
            transition(problem, context.admin, action, **options)
    context.log(f"services: {len(departments)} departments (handlers handler_*), {len(plans)} plans, {problems} problems")
