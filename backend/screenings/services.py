"""Assessing a screening: the one path used by the preview endpoint and by sync."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from backend.errors import FieldError, ValidationFailed
from backend.i18n import N_, Translator
from backend.i18n.catalogs import SOURCE_LANGUAGE
from screening import (
    AnswerValidationError,
    Assessment,
    InstrumentRegistry,
    MissingReferenceDateError,
    UnknownInstrument,
    assess,
    decode_answers,
    localize_assessment,
)

__all__ = ["ScreeningAssessor"]


class ScreeningAssessor:
    """Turns answers into an assessment with the instrument version they were given to.

    The assessment records the instrument key and version and the engine
    version that produced it, so a stored result can always be reproduced.
    """

    def __init__(self, registry: InstrumentRegistry) -> None:
        self.registry = registry

    def assess(
        self,
        *,
        instrument_key: str,
        instrument_version: int,
        answers: Mapping[str, Any],
        as_of: dt.date | None,
        field_prefix: str = "",
    ) -> Assessment:
        """Validate and assess.

        Raises:
            ValidationFailed: unknown instrument or version, or invalid answers
                (one field error per answer: ``answers.<item_id>`` with its code).
        """
        try:
            instrument = self.registry.get(instrument_key, instrument_version)
        except UnknownInstrument:
            raise ValidationFailed(
                N_("No such instrument or version."),
                errors=[
                    FieldError(
                        location="body",
                        field=f"{field_prefix}instrument_version",
                        reason=f"no instrument {instrument_key!r} version {instrument_version}",
                    )
                ],
            ) from None
        try:
            return assess(instrument, decode_answers(answers), as_of=as_of)
        except AnswerValidationError as exc:
            raise ValidationFailed(
                N_("Some answers do not fit the instrument."),
                errors=[
                    FieldError(
                        location="body",
                        field=f"{field_prefix}answers"
                        + (f".{e.item_id}" if e.item_id != "$" else ""),
                        reason=e.reason,
                        code=e.code,
                    )
                    for e in exc.errors
                ],
            ) from None
        except MissingReferenceDateError:
            raise ValidationFailed(
                errors=[
                    FieldError(
                        location="body",
                        field=f"{field_prefix}as_of",
                        reason="required when a date of birth is answered",
                    )
                ]
            ) from None

    @staticmethod
    def localized(assessment: Assessment, translator: Translator) -> Assessment:
        """The assessment's texts in the translator's language, each with its status."""
        if translator.language == SOURCE_LANGUAGE:
            return assessment  # English texts stay marked as the source
        return localize_assessment(assessment, translator.lookup)
