import django.db.models.deletion
import simple_history.models
from django.conf import settings
import mujun.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('enterprises', '0005_enterprise_active_name'),
        ('land', '0005_idle_clock'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='historicalparcel',
            name='actual_emissions_per_value_added',
            field=models.FloatField(blank=True, null=True, verbose_name='actual emissions per value added (t eq./10k yuan)'),
        ),
        migrations.AddField(
            model_name='historicalparcel',
            name='committed_emissions_per_value_added',
            field=models.FloatField(blank=True, null=True, verbose_name='committed emissions per value added (t eq./10k yuan)'),
        ),
        migrations.AddField(
            model_name='historicalparcel',
            name='contract_deposit',
            field=models.FloatField(blank=True, null=True, verbose_name='performance deposit (10k yuan)'),
        ),
        migrations.AddField(
            model_name='historicalparcel',
            name='price_difference_per_point',
            field=models.FloatField(blank=True, null=True, verbose_name='price difference per point of missed investment intensity (10k yuan)'),
        ),
        migrations.AddField(
            model_name='historicalparcel',
            name='recovery_below_share',
            field=models.FloatField(blank=True, help_text='e.g. 0.5: the land is taken back when investment, output or tax per mu is under half the commitment', null=True, verbose_name='recovery below this share of a commitment'),
        ),
        migrations.AddField(
            model_name='parcel',
            name='actual_emissions_per_value_added',
            field=models.FloatField(blank=True, null=True, verbose_name='actual emissions per value added (t eq./10k yuan)'),
        ),
        migrations.AddField(
            model_name='parcel',
            name='committed_emissions_per_value_added',
            field=models.FloatField(blank=True, null=True, verbose_name='committed emissions per value added (t eq./10k yuan)'),
        ),
        migrations.AddField(
            model_name='parcel',
            name='contract_deposit',
            field=models.FloatField(blank=True, null=True, verbose_name='performance deposit (10k yuan)'),
        ),
        migrations.AddField(
            model_name='parcel',
            name='price_difference_per_point',
            field=models.FloatField(blank=True, null=True, verbose_name='price difference per point of missed investment intensity (10k yuan)'),
        ),
        migrations.AddField(
            model_name='parcel',
            name='recovery_below_share',
            field=models.FloatField(blank=True, help_text='e.g. 0.5: the land is taken back when investment, output or tax per mu is under half the commitment', null=True, verbose_name='recovery below this share of a commitment'),
        ),
        migrations.CreateModel(
            name='Acceptance',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('due_on', models.DateField(verbose_name='operating period ends on')),
                ('checked_on', models.DateField(verbose_name='checked on')),
                ('figures_year', models.PositiveSmallIntegerField(blank=True, null=True, validators=[mujun.core.validators.FirstYearValidator(), mujun.core.validators.LastYearValidator()], verbose_name='evaluation year used')),
                ('holder_grade', models.CharField(blank=True, max_length=1, verbose_name="holder's grade")),
                ('indicators', models.JSONField(default=dict, verbose_name='indicators')),
                ('outcome', models.CharField(choices=[('passed', 'Met the commitments'), ('failed', 'Missed a commitment'), ('incomplete', 'Incomplete figures')], db_index=True, max_length=12, verbose_name='acceptance result')),
                ('breach_amount', models.FloatField(default=0, verbose_name='breach amount (10k yuan)')),
                ('recovery_proposed', models.BooleanField(default=False, verbose_name='recovery proposed')),
                ('decision', models.CharField(choices=[('pending', 'Not decided'), ('enforced', 'Breach measures enforced'), ('recheck', 'Re-check later'), ('waived', 'Waived')], db_index=True, default='pending', max_length=12, verbose_name='decision')),
                ('decided_on', models.DateField(blank=True, null=True, verbose_name='decided on')),
                ('decision_note', models.TextField(blank=True, verbose_name='note on the decision')),
                ('holder', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='land_acceptances', to='enterprises.enterprise', verbose_name='holder')),
                ('parcel', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='acceptances', to='land.parcel', verbose_name='parcel')),
            ],
            options={
                'verbose_name': 'standard-land acceptance',
                'verbose_name_plural': 'standard-land acceptances',
                'ordering': ['-due_on', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='HistoricalAcceptance',
            fields=[
                ('id', models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name='ID')),
                ('due_on', models.DateField(verbose_name='operating period ends on')),
                ('checked_on', models.DateField(verbose_name='checked on')),
                ('figures_year', models.PositiveSmallIntegerField(blank=True, null=True, validators=[mujun.core.validators.FirstYearValidator(), mujun.core.validators.LastYearValidator()], verbose_name='evaluation year used')),
                ('holder_grade', models.CharField(blank=True, max_length=1, verbose_name="holder's grade")),
                ('indicators', models.JSONField(default=dict, verbose_name='indicators')),
                ('outcome', models.CharField(choices=[('passed', 'Met the commitments'), ('failed', 'Missed a commitment'), ('incomplete', 'Incomplete figures')], db_index=True, max_length=12, verbose_name='acceptance result')),
                ('breach_amount', models.FloatField(default=0, verbose_name='breach amount (10k yuan)')),
                ('recovery_proposed', models.BooleanField(default=False, verbose_name='recovery proposed')),
                ('decision', models.CharField(choices=[('pending', 'Not decided'), ('enforced', 'Breach measures enforced'), ('recheck', 'Re-check later'), ('waived', 'Waived')], db_index=True, default='pending', max_length=12, verbose_name='decision')),
                ('decided_on', models.DateField(blank=True, null=True, verbose_name='decided on')),
                ('decision_note', models.TextField(blank=True, verbose_name='note on the decision')),
                ('history_id', models.AutoField(primary_key=True, serialize=False)),
                ('history_date', models.DateTimeField(db_index=True)),
                ('history_change_reason', models.CharField(max_length=100, null=True)),
                ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('holder', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='enterprises.enterprise', verbose_name='holder')),
                ('parcel', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='land.parcel', verbose_name='parcel')),
            ],
            options={
                'verbose_name': 'historical standard-land acceptance',
                'verbose_name_plural': 'historical standard-land acceptances',
                'ordering': ('-history_date', '-history_id'),
                'get_latest_by': ('history_date', 'history_id'),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
    ]
