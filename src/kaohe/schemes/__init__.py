"""Assessment schemes (考核方案): scoring rules, grades with consequences, PK ranking.

Spec: spec/schemes.md. Schemes are YAML files (presets in kaohe/schemes/presets/)."""

from kaohe.schemes.load import list_schemes, load_scheme, parse_scheme_text, with_params
from kaohe.schemes.model import Scheme
from kaohe.schemes.ranking import pk_rank, rank_metric, wilson_lower
from kaohe.schemes.score import AgentScore, ScoreResult, compare, grade, score

__all__ = [
    "AgentScore",
    "Scheme",
    "ScoreResult",
    "compare",
    "grade",
    "list_schemes",
    "load_scheme",
    "parse_scheme_text",
    "pk_rank",
    "rank_metric",
    "score",
    "wilson_lower",
    "with_params",
]
