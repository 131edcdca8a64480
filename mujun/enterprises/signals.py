from django.dispatch import Signal

# Sent after an import wrote enterprise-years in bulk (bulk writes send no post_save), inside the import's
# transaction: ``years`` maps each year to the ids of the enterprises whose figures for it were written.
enterprise_years_imported = Signal()
