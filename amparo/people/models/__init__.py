"""The people app's models, one module per topic (persons, organizing, trainings, lists,
signup), all imported here: ``from amparo.people.models import Person``."""

from .lists import ExportRequest, ImportBatch, PeopleVersion, Segment
from .organizing import (
    Activity,
    Attendance,
    Committee,
    CommitteeMember,
    Organization,
    OrganizationMember,
    Rsvp,
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
from .record import Commitment, CommitmentCheck, Decision, Demand, Priority, Surge
from .signup import RateBucket, SignupConfirmation, SpentChallenge
from .trainings import PersonTraining, TrainingSession, TrainingSignup, TrainingType
