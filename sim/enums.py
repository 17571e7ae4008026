"""The model's modes and categorical outcomes, as Enums.

Every member's value is the lowercase snake_case string users type in TOML files and on the
command line and that appears in result tables, so ``Doctrine("never")`` round-trips.
"""

from __future__ import annotations

from enum import StrEnum


class _Named(StrEnum):
    """A str-valued Enum whose ``str()`` is its value (for tables and messages)."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def allowed(cls) -> str:
        return ", ".join(m.value for m in cls)


class Doctrine(_Named):
    """Whom an agency warns (ICD 191 obliges warning friend and foe alike)."""

    WARN_ALL = "warn_all"
    NON_RIVALS = "non_rivals"
    NEVER = "never"
    # No duty binds it: it warns when its own payoffs say so (ICD 191 binds US elements only;
    # other services share at their discretion, as the FSB did with the FBI in 2011).
    DISCRETION = "discretion"


class DoctrineSetting(_Named):
    """The run-wide doctrine: each agency's own (from the scenario) or one imposed on all."""

    SCENARIO = "scenario"
    WARN_ALL = "warn_all"
    NON_RIVALS = "non_rivals"
    NEVER = "never"
    DISCRETION = "discretion"

    def resolve(self, own: Doctrine) -> Doctrine:
        return own if self is DoctrineSetting.SCENARIO else Doctrine(self.value)


class Channel(_Named):
    """How a warning travels: a written liaison cable, a public alert, both, or a relayed cable."""

    PRIVATE = "private"
    PUBLIC = "public"
    BOTH = "both"
    RELAY = "relay"  # written, through a third agency with liaison to both (no liaison of its own)

    @property
    def is_public(self) -> bool:
        return self is Channel.PUBLIC or self is Channel.BOTH


class NoLiaisonRoute(_Named):
    """What a sender does for a recipient it has no liaison channel with.

    ``relay``: pass a written warning through a third agency with liaison to both (a protecting
    power), falling back to a public alert when no such agency exists; ``public``: issue a public
    alert (Crocus 2024: a public embassy alert beside the cable); ``none``: waive (no channel).
    """

    RELAY = "relay"
    PUBLIC = "public"
    NONE = "none"


class WaiverReason(_Named):
    """Why the duty to warn was waived (ICD 191 section E.2 and the grounds cited in practice)."""

    DOCTRINE_EXCLUDES = "doctrine_excludes"
    RECIPIENT_AWARE = "recipient_aware"
    SOURCES_AT_RISK = "sources_at_risk"
    NO_CHANNEL = "no_channel"
    WITHHELD = "withheld"  # no duty binds the sender (doctrine discretion) and warning does not pay it


class Response(_Named):
    """The three responses to a warning (Lindell & Perry 2012's Protective Action Decision Model).

    ``heeded``: protective action; ``investigated``: information search (seek corroboration at a
    cost and a delay, then decide: the FBI's response to the 2011 Russian warning on Tsarnaev);
    ``dismissed``: continue as normal.
    """

    HEEDED = "heeded"
    INVESTIGATED = "investigated"
    DISMISSED = "dismissed"


class ResponsePolicy(_Named):
    """Who decides the response: the recipients' own choice rule, or a policy imposed on all.

    ``heed_all`` and ``dismiss_all`` are the two reference policies of the reliability crossover
    (Wickens & Dixon 2007: below some reliability, acting on every alarm is worse than acting on
    none).
    """

    MODEL = "model"
    HEED_ALL = "heed_all"
    DISMISS_ALL = "dismiss_all"
