"""The network's people (app label ``people``), one module per topic: persons with their
phones and areas, organizing (organizations, committees, participation), trainings,
lists (segments, imports, exports) and the public sign-up. Every model is imported
here (re-exported: ``from amparo.people.models import Person``)."""

from .lists import ExportRequest, ImportBatch, Segment
from .organizing import (
    Activity,
    Attendance,
    Committee,
    CommitteeMember,
    Organization,
    OrganizationMember,
    Task,
)
from .persons import (
    CHANNEL_CHOICES,
    CHANNELS,
    CoverageCell,
    Person,
    PersonArea,
    PersonPhone,
    PersonQuerySet,
    PersonRole,
    Place,
)
from .signup import RateBucket, SignupConfirmation, SpentChallenge
from .trainings import PersonTraining, TrainingSession, TrainingSignup, TrainingType
