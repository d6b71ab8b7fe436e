"""What a notification is about. Each kind is one line of a person's email preferences, so its
label reads as the thing they receive ("Review campaign reminders")."""

from django.db import models


class Kind(models.TextChoices):
    CAMPAIGN_ASK = "campaign_ask", "Review campaign invitations"
    CAMPAIGN_REMINDER = "campaign_reminder", "Review campaign reminders"
    STALE_DIGEST = "stale_digest", "Reminders about stale ratings"
    VALIDATION_DIGEST = "validation_digest", "Ratings waiting for your validation"
    RATING_VALIDATED = "rating_validated", "Validations of your ratings"
    ENDORSEMENT = "endorsement", "Endorsements of your skills"
    CERTIFICATION_EXPIRY = "certification_expiry", "Expiring certifications"
