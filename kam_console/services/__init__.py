"""Use cases: keyword-only arguments, one transaction each, plain dataclass results, typed errors."""
