"""Lantern screening: instruments, answers and triage assessments.

Pure domain code (stdlib and msgspec only). Instruments are versioned data
files under ``screening/instruments``; :func:`load_registry` loads and
validates them, :func:`validate_answers` checks a screening's answers, and
:func:`assess` turns them into an :class:`Assessment`.

Typical use::

    registry = load_registry()
    instrument = registry.get("scam_compound", 1)
    answers = decode_answers(request_body)
    assessment = assess(instrument, answers, as_of=completed_at.date())
"""

from screening.answers import (
    Answer,
    Answers,
    SkipKind,
    condition_holds,
    decode_answers,
    effective_answers,
    is_shown,
    validate_answers,
)
from screening.assessment import (
    ENGINE_VERSION,
    Assessment,
    Evidence,
    IndicatorFound,
    LocalText,
    Note,
    Palermo,
    PalermoElement,
    RaisedFlag,
    Reason,
    Referral,
    TextStatus,
    Unanswered,
    assess,
)
from screening.definition import check_instrument, parse_instrument
from screening.errors import (
    AnswerError,
    AnswerErrorCode,
    AnswerValidationError,
    DefinitionProblem,
    InstrumentDefinitionError,
    MissingReferenceDateError,
    ScreeningError,
    UnknownInstrument,
)
from screening.i18n import (
    LocalizedAnswerLabels,
    LocalizedInstrument,
    LocalizedItem,
    LocalizedOption,
    LocalizedSection,
    Message,
    Translate,
    TranslationSummary,
    iter_messages,
    localize,
    localize_assessment,
)
from screening.model import (
    Band,
    FlagCode,
    Group,
    Indicator,
    Instrument,
    Item,
    ItemType,
    Service,
)
from screening.protected import shareable_answers, shareable_assessment
from screening.registry import InstrumentRegistry, load_registry

__all__ = [
    "ENGINE_VERSION",
    "Answer",
    "AnswerError",
    "AnswerErrorCode",
    "AnswerValidationError",
    "Answers",
    "Assessment",
    "Band",
    "DefinitionProblem",
    "Evidence",
    "FlagCode",
    "Group",
    "Indicator",
    "IndicatorFound",
    "Instrument",
    "InstrumentDefinitionError",
    "InstrumentRegistry",
    "Item",
    "ItemType",
    "LocalText",
    "LocalizedAnswerLabels",
    "LocalizedInstrument",
    "LocalizedItem",
    "LocalizedOption",
    "LocalizedSection",
    "Message",
    "MissingReferenceDateError",
    "Note",
    "Palermo",
    "PalermoElement",
    "RaisedFlag",
    "Reason",
    "Referral",
    "ScreeningError",
    "Service",
    "SkipKind",
    "TextStatus",
    "Translate",
    "TranslationSummary",
    "Unanswered",
    "UnknownInstrument",
    "assess",
    "check_instrument",
    "condition_holds",
    "decode_answers",
    "effective_answers",
    "is_shown",
    "iter_messages",
    "load_registry",
    "localize",
    "localize_assessment",
    "parse_instrument",
    "shareable_answers",
    "shareable_assessment",
    "validate_answers",
]
