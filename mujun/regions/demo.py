"""Demo data: the region tree of a Huzhou-like city (mujun.engine.demo.REGIONS), and its people: the city
administrator, one operator per county and a leader (a viewer), each placed in their region."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext

from mujun.core.management.commands._demo_data import COUNTY_OPERATORS
from mujun.engine.demo import REGIONS
from mujun.regions.models import Region

CITY_CODE = "330500"


def load(context) -> None:
    context.regions = load_regions()
    context.city = context.regions[CITY_CODE]
    context.users = load_users(context.regions, context.password)
    context.admin = context.users[0]
    context.log(
        gettext("regions: %(regions)d, users: %(users)d") % {"regions": len(context.regions), "users": len(context.users)}
    )


def load_regions() -> dict[str, Region]:
    """The region tree, parents before children, each checked by the tree's rules (Region.clean) as the
    web form checks it; returns code -> Region."""
    regions: dict[str, Region] = {}
    for row in REGIONS:
        region = Region.objects.filter(code=row["code"]).first()
        if region is None:
            region = Region(code=row["code"], name=row["name"], level=row["level"], parent=regions.get(row["parent_code"]))
            region.full_clean()
            region.save()
        regions[row["code"]] = region
    return regions


def load_users(regions: dict[str, Region], password: str) -> list:
    """admin (city administrator), one operator per county, and ``leader`` (a viewer)."""
    User = get_user_model()
    users = [
        User.objects.create_superuser("admin", password=password, role=User.Role.CITY_ADMIN, region=regions[CITY_CODE])
    ]
    for county_code, username in COUNTY_OPERATORS.items():
        users.append(
            User.objects.create_user(
                username, password=password, role=User.Role.COUNTY_OPERATOR, region=regions[county_code]
            )
        )
    users.append(User.objects.create_user("leader", password=password, role=User.Role.VIEWER))
    return users
