"""Where things live in a CIRO checkout: schema, instances, sources, release."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["Layout", "RECORD_DIRS"]

# instances/<dir>/ -> the KnowledgeBase slot its records fill. Order is the build order of the KB.
RECORD_DIRS: dict[str, str] = {
    "publications": "publications",
    "external_terms": "external_terms",
    "targets": "targets",
    "phenotypes": "phenotypes",
    "therapies": "therapies",
    "mechanisms": "mechanisms",
    "countermeasures": "countermeasures",
}


@dataclass(frozen=True)
class Layout:
    """Paths of one CIRO project tree."""

    root: Path

    @classmethod
    def find(cls, start: Path | None = None) -> Layout:
        """The project containing `start` (default: the current directory), else the installed checkout."""
        here = (start or Path.cwd()).resolve()
        for candidate in (here, *here.parents):
            if (candidate / "schema" / "ciro.yaml").is_file():
                return cls(candidate)
        # Installed in editable mode: fall back to the checkout this package lives in.
        return cls(Path(__file__).resolve().parents[2])

    @property
    def schema(self) -> Path:
        return self.root / "schema" / "ciro.yaml"

    @property
    def instances(self) -> Path:
        return self.root / "instances"

    @property
    def sources(self) -> Path:
        return self.root / "instances" / "sources"

    @property
    def imports(self) -> Path:
        """The extracted import tables, imports/<source>.tsv (scripts/refresh_imports.py writes them)."""
        return self.root / "imports"

    @property
    def ontology(self) -> Path:
        return self.root / "ontology"

    @property
    def releases(self) -> Path:
        """Every release cut by `ciro release`, one folder per version (releases/<version>/)."""
        return self.root / "releases"

    @property
    def queries(self) -> Path:
        return self.root / "queries"

    @property
    def id_ledger(self) -> Path:
        return self.root / "instances" / "id-ledger.tsv"
