"""Read the O*NET and ESCO reference files and upsert them into the global skill library.

Two layers: pure parsing functions that read files by their header names (newer releases reorder
and rename columns) and return plain dataclasses, and ``import_library``, which diffs those
records against the database in memory and writes only what changed, in one transaction.

What goes in (our own mapping, to be cited as such wherever it is shown):

* O*NET skills (the elements rated in ``Skills.txt``), knowledge areas (``Knowledge.txt``: the 33
  2.C elements such as "Computers and Electronics" or "Mathematics") and work styles
  (``Work Styles.txt``), with names and descriptions from ``Content Model Reference.txt``. Only
  the skills under 2.B.3 ("Technical Skills": Programming, Troubleshooting, ...) and the knowledge
  areas of engineering and technology (2.C.3), mathematics, physics, chemistry (2.C.4.a-c) and
  telecommunications (2.C.9.a) are *technical*; the other knowledge areas, basic skills (2.A),
  social, complex-problem-solving, systems and resource-management skills (2.B.1, 2.B.2, 2.B.4,
  2.B.5) and every work style are *human*. Categories are the content model's dotted-id ancestors
  below the domain level (2.B, 2.B.3; 2.C, 2.C.3; 1.C, 1.C.5).
* O*NET technologies: each distinct ``Example`` of ``Technology Skills.txt``, keyed
  "tech:<normalised name>". Spellings that normalise alike become one skill (the most used
  spelling is the name, the others aliases). Its category is the UNSPSC commodity most occupations
  file it under, with class, family and segment above it from ``UNSPSC Reference.txt``. The Hot
  Technology / In Demand flags are true when any occupation sets them: that aggregation is a
  modification of the data, so those rows say "modified" in their attribution (CC BY 4.0 asks it).
* O*NET level anchors (LV scale) of the imported skills, from ``Level Scale Anchors.txt``.
* Every O*NET occupation (title and description), but occupation-skill links only for SOC major
  group 15 (computer and mathematical) plus 11-3021.00 (Computer and Information Systems Managers)
  and 17-2061.00 (Computer Hardware Engineers): the product maps software organisations, and the
  ~1,000 occupations' full ratings would add ~50,000 rows nobody picks from. Links come from
  Skills and Knowledge (IM and LV), Work Styles (IM only) and Technology Skills (In Demand). A value O*NET
  recommends suppressing is stored as null; the link itself is kept.
* ESCO transversal skills (human) and ICT skills (technical). The ICT collection is a subset of
  the transversal one; a concept in both is technical. Every ESCO skill lists two or three broader
  concepts from different hierarchies, in no fixed order; the category is the transversal /
  digital-competence group (a UUID concept such as "social interaction" or "ICT safety"). Where
  that broader concept is itself a collection skill, the skill takes that parent skill's group;
  only failing both does it fall back to the skills-pillar code ("S5.6.1 ...").

Skills, categories and occupations are never deleted (tenant data will point at them); level
anchors and occupation-skill links that vanish from a newer release are.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any, TextIO, TypeVar

from django.conf import settings
from django.db import models, transaction

from skills.models import (
    LibraryCategory,
    LibraryLevelAnchor,
    LibraryOccupation,
    LibraryOccupationSkill,
    LibrarySkill,
    LibrarySource,
    SkillKind,
)

ONET_ATTRIBUTION = "O*NET {release} Database by USDOL/ETA, CC BY 4.0"
ONET_TECHNOLOGY_ATTRIBUTION = (
    ONET_ATTRIBUTION + "; modified: technology flags aggregated across occupations"
)
ESCO_ATTRIBUTION = "ESCO, European Commission"

LINKED_OCCUPATION_PREFIXES: tuple[str, ...] = ("15-",)
LINKED_OCCUPATION_CODES: frozenset[str] = frozenset({"11-3021.00", "17-2061.00"})

TECHNOLOGY_PREFIX = "tech:"
UNSPSC_PREFIX = "unspsc:"
ESCO_SEPARATOR = " | "

_BATCH_SIZE = 500
_UUID_TAIL = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class LibraryImportError(Exception):
    """The reference data cannot be imported; the message says which file and why."""


class LibraryDataMissing(LibraryImportError):
    pass


class LibraryFormatError(LibraryImportError):
    pass


# --- names -------------------------------------------------------------------------------------


def normalise_skill_name(name: str) -> str:
    """The key under which two spellings of a skill count as the same one.

    Case, spacing, dots, apostrophes, hyphens and other punctuation do not matter
    ("Node.js" = "NodeJS", "Problem-solving" = "problem solving"), but "+" and "#" do, or C, C++
    and C# would collapse into one. Technology ids are built from this key, so changing it needs a
    data migration of ``LibrarySkill.external_id``.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[.'\u2019]", "", text)
    text = re.sub(r"[^\w+#]+|_", " ", text)
    return " ".join(text.split())


# --- reading files -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FileSpec:
    """One file the importer reads, and the columns it reads from it (by header name)."""

    name: str
    delimiter: str
    columns: tuple[str, ...]


_RATING_COLUMNS = (
    "O*NET-SOC Code",
    "Element ID",
    "Element Name",
    "Scale ID",
    "Data Value",
    "Recommend Suppress",
)
CONTENT_MODEL = FileSpec(
    "Content Model Reference.txt", "\t", ("Element ID", "Element Name", "Description")
)
SKILLS = FileSpec("Skills.txt", "\t", (*_RATING_COLUMNS, "Not Relevant"))
KNOWLEDGE = FileSpec("Knowledge.txt", "\t", (*_RATING_COLUMNS, "Not Relevant"))
WORK_STYLES = FileSpec("Work Styles.txt", "\t", _RATING_COLUMNS)  # it has no "Not Relevant"
TECHNOLOGY_SKILLS = FileSpec(
    "Technology Skills.txt",
    "\t",
    (
        "O*NET-SOC Code",
        "Example",
        "Commodity Code",
        "Commodity Title",
        "Hot Technology",
        "In Demand",
    ),
)
UNSPSC = FileSpec(
    "UNSPSC Reference.txt",
    "\t",
    tuple(
        f"{level} {part}"
        for level in ("Commodity", "Class", "Family", "Segment")
        for part in ("Code", "Title")
    ),
)
LEVEL_ANCHORS = FileSpec(
    "Level Scale Anchors.txt",
    "\t",
    ("Element ID", "Scale ID", "Anchor Value", "Anchor Description"),
)
OCCUPATIONS = FileSpec("Occupation Data.txt", "\t", ("O*NET-SOC Code", "Title", "Description"))
_ESCO_COLUMNS = (
    "conceptUri",
    "preferredLabel",
    "altLabels",
    "description",
    "broaderConceptUri",
    "broaderConceptPT",
)
ESCO_TRANSVERSAL = FileSpec("transversalSkillsCollection_en.csv", ",", _ESCO_COLUMNS)
ESCO_ICT = FileSpec("ictSkillsCollection_en.csv", ",", _ESCO_COLUMNS)

ONET_FILES: tuple[FileSpec, ...] = (
    CONTENT_MODEL,
    SKILLS,
    KNOWLEDGE,
    WORK_STYLES,
    TECHNOLOGY_SKILLS,
    UNSPSC,
    LEVEL_ANCHORS,
    OCCUPATIONS,
)
ESCO_COLLECTIONS: tuple[tuple[FileSpec, SkillKind], ...] = (
    # Order matters: a concept in both files takes the kind of the last one, the ICT subset.
    (ESCO_TRANSVERSAL, SkillKind.HUMAN),
    (ESCO_ICT, SkillKind.TECHNICAL),
)
ESCO_FILES: tuple[FileSpec, ...] = tuple(spec for spec, _ in ESCO_COLLECTIONS)


class ReleaseFiles:
    """The files of one release, wherever they are: a folder of plain or gzip-compressed files
    (the bundled copy is ``*.txt.gz``), or a zip archive such as O*NET's ``db_29_3_text.zip``,
    whose members sit in a folder of their own."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._zip_members: dict[str, str] | None = None
        if location.is_file():
            if not zipfile.is_zipfile(location):
                raise LibraryDataMissing(f"{location} is neither a folder nor a zip archive.")
            with zipfile.ZipFile(location) as archive:
                self._zip_members = {
                    PurePosixPath(member).name: member
                    for member in archive.namelist()
                    if not member.endswith("/") and "__MACOSX" not in member
                }
        elif not location.is_dir():
            raise LibraryDataMissing(f"{location} does not exist.")

    def __str__(self) -> str:
        return str(self.location)

    def _plain_or_compressed(self, name: str) -> Path | None:
        for candidate in (self.location / name, self.location / f"{name}.gz"):
            if candidate.is_file():
                return candidate
        return None

    def has(self, name: str) -> bool:
        if self._zip_members is not None:
            return name in self._zip_members or f"{name}.gz" in self._zip_members
        return self._plain_or_compressed(name) is not None

    @contextmanager
    def open(self, name: str) -> Iterator[TextIO]:
        """``utf-8-sig`` because ESCO downloads and spreadsheet re-exports may start with a BOM;
        the O*NET text files are plain UTF-8 (ASCII in fact)."""
        if not self.has(name):
            raise LibraryDataMissing(f"{name}: file not found in {self}.")
        with ExitStack() as stack:
            raw: IO[bytes] | gzip.GzipFile
            if self._zip_members is not None:
                archive = stack.enter_context(zipfile.ZipFile(self.location))
                member = self._zip_members.get(name) or self._zip_members[f"{name}.gz"]
                raw = stack.enter_context(archive.open(member))
            else:
                path = self._plain_or_compressed(name)
                assert path is not None  # has() said so
                member = path.name
                raw = stack.enter_context(path.open("rb"))
            if member.endswith(".gz"):
                raw = stack.enter_context(gzip.GzipFile(fileobj=raw))
            yield stack.enter_context(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""))

    def header_problems(self, specs: Iterable[FileSpec]) -> list[str]:
        """What keeps these files from being read: each missing file and renamed column."""
        problems = []
        for spec in specs:
            if not self.has(spec.name):
                problems.append(f"{spec.name}: file not found in {self}.")
                continue
            with self.open(spec.name) as handle:
                headers = _headers(csv.reader(handle, delimiter=spec.delimiter))
            if problem := _column_problem(spec, headers):
                problems.append(problem)
        return problems


def _headers(reader: Iterator[list[str]]) -> list[str]:
    return [h.strip() for h in next(reader, [])]


def _column_problem(spec: FileSpec, headers: Sequence[str]) -> str | None:
    missing = [column for column in spec.columns if column not in headers]
    if not missing:
        return None
    return (
        f"{spec.name}: missing required column(s) {', '.join(map(repr, missing))}; "
        f"found {', '.join(map(repr, headers))}."
    )


def _read_rows(files: ReleaseFiles, spec: FileSpec) -> list[dict[str, str]]:
    """Rows of a delimited file as dicts keyed by header, after checking the required headers."""
    with files.open(spec.name) as handle:
        reader = csv.DictReader(handle, delimiter=spec.delimiter, restval="")
        headers = [h.strip() for h in reader.fieldnames or []]
        reader.fieldnames = headers
        if problem := _column_problem(spec, headers):
            raise LibraryFormatError(problem)
        return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def _float_or_none(value: str, *, name: str, line: int) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise LibraryFormatError(f"{name}, line {line}: {value!r} is not a number.") from None


def _yes(value: str) -> bool:
    return value.upper() == "Y"


@dataclass(frozen=True)
class ContentElement:
    element_id: str
    name: str
    description: str


@dataclass(frozen=True)
class Rating:
    occupation_code: str
    element_id: str
    element_name: str
    scale_id: str
    value: float | None  # None when blank or Recommend Suppress = Y
    not_relevant: bool


@dataclass(frozen=True)
class TechnologyRow:
    occupation_code: str
    example: str
    commodity_code: str
    commodity_title: str
    hot_technology: bool
    in_demand: bool


@dataclass(frozen=True)
class UnspscRow:
    commodity_code: str
    commodity_title: str
    class_code: str
    class_title: str
    family_code: str
    family_title: str
    segment_code: str
    segment_title: str


@dataclass(frozen=True)
class AnchorRow:
    element_id: str
    scale_id: str
    value: int
    description: str


@dataclass(frozen=True)
class EscoRow:
    concept_uri: str
    preferred_label: str
    alt_labels: tuple[str, ...]
    description: str
    broader: tuple[tuple[str, str], ...]  # (URI, preferred term), in file order


def read_content_model(files: ReleaseFiles) -> dict[str, ContentElement]:
    return {
        r["Element ID"]: ContentElement(r["Element ID"], r["Element Name"], r["Description"])
        for r in _read_rows(files, CONTENT_MODEL)
    }


def read_ratings(files: ReleaseFiles, spec: FileSpec) -> list[Rating]:
    """Skills.txt-shaped files. Work Styles.txt has no "Not Relevant" column."""
    ratings = []
    for line, r in enumerate(_read_rows(files, spec), start=2):
        value = _float_or_none(r["Data Value"], name=spec.name, line=line)
        ratings.append(
            Rating(
                occupation_code=r["O*NET-SOC Code"],
                element_id=r["Element ID"],
                element_name=r["Element Name"],
                scale_id=r["Scale ID"],
                value=None if _yes(r["Recommend Suppress"]) else value,
                not_relevant=_yes(r.get("Not Relevant", "")),
            )
        )
    return ratings


def read_technology_skills(files: ReleaseFiles) -> list[TechnologyRow]:
    return [
        TechnologyRow(
            occupation_code=r["O*NET-SOC Code"],
            example=r["Example"],
            commodity_code=r["Commodity Code"],
            commodity_title=r["Commodity Title"],
            hot_technology=_yes(r["Hot Technology"]),
            in_demand=_yes(r["In Demand"]),
        )
        for r in _read_rows(files, TECHNOLOGY_SKILLS)
        if r["Example"]
    ]


def read_unspsc(files: ReleaseFiles) -> dict[str, UnspscRow]:
    return {
        r["Commodity Code"]: UnspscRow(*(r[h] for h in UNSPSC.columns))
        for r in _read_rows(files, UNSPSC)
    }


def read_level_anchors(files: ReleaseFiles) -> list[AnchorRow]:
    anchors = []
    for line, r in enumerate(_read_rows(files, LEVEL_ANCHORS), start=2):
        value = _float_or_none(r["Anchor Value"], name=LEVEL_ANCHORS.name, line=line)
        if value is None:
            continue
        anchors.append(
            AnchorRow(r["Element ID"], r["Scale ID"], round(value), r["Anchor Description"])
        )
    return anchors


def read_occupations(files: ReleaseFiles) -> list[OccupationRecord]:
    return [
        OccupationRecord(r["O*NET-SOC Code"], r["Title"], r["Description"])
        for r in _read_rows(files, OCCUPATIONS)
    ]


def _split_labels(value: str) -> list[str]:
    return [part.strip() for part in value.split(ESCO_SEPARATOR) if part.strip()]


def read_esco_collection(files: ReleaseFiles, spec: FileSpec) -> list[EscoRow]:
    rows = []
    for line, r in enumerate(_read_rows(files, spec), start=2):
        uris = _split_labels(r["broaderConceptUri"])
        labels = _split_labels(r["broaderConceptPT"])
        if len(uris) != len(labels):
            raise LibraryFormatError(
                f"{spec.name}, line {line}: {len(uris)} broaderConceptUri values but "
                f"{len(labels)} broaderConceptPT values."
            )
        rows.append(
            EscoRow(
                concept_uri=r["conceptUri"],
                preferred_label=r["preferredLabel"],
                alt_labels=tuple(_split_labels(r["altLabels"])),
                description=r["description"],
                broader=tuple(zip(uris, labels, strict=True)),
            )
        )
    return rows


# --- records: what the library should contain -------------------------------------------------


@dataclass(frozen=True)
class CategoryRecord:
    source: str
    external_id: str
    name: str
    description: str
    kind: str
    parent_external_id: str | None = None


@dataclass(frozen=True)
class SkillRecord:
    source: str
    external_id: str
    name: str
    description: str
    kind: str
    category_external_id: str | None
    aliases: tuple[str, ...]
    attribution: str
    release: str
    hot_technology: bool = False
    in_demand: bool = False


@dataclass(frozen=True)
class AnchorRecord:
    skill_external_id: str
    level: int
    description: str


@dataclass(frozen=True)
class OccupationRecord:
    code: str
    title: str
    description: str


@dataclass(frozen=True)
class OccupationSkillRecord:
    occupation_code: str
    skill_external_id: str
    importance: float | None = None
    level: float | None = None
    not_relevant: bool = False
    in_demand: bool = False


@dataclass
class LibraryData:
    """Everything one source contributes; O*NET-only parts stay empty for ESCO."""

    source: str
    categories: list[CategoryRecord] = field(default_factory=list)
    skills: list[SkillRecord] = field(default_factory=list)
    anchors: list[AnchorRecord] = field(default_factory=list)
    occupations: list[OccupationRecord] = field(default_factory=list)
    occupation_skills: list[OccupationSkillRecord] = field(default_factory=list)


# Technical: the technical skills (2.B.3) and the engineering, technology, mathematics and
# science knowledge areas (2.C.3, 2.C.4.a-c); the rest (business, psychology, languages, law, ...)
# is human, as the rest of the skills and every work style are.
_ONET_TECHNICAL_PREFIXES = ("2.B.3.", "2.C.3.", "2.C.4.a.", "2.C.4.b.", "2.C.4.c.", "2.C.9.a.")


def _onet_kind(element_id: str) -> SkillKind:
    return (
        SkillKind.TECHNICAL
        if f"{element_id}.".startswith(_ONET_TECHNICAL_PREFIXES)
        else SkillKind.HUMAN
    )


def _onet_ancestors(element_id: str, content: dict[str, ContentElement]) -> list[str]:
    """Content-model ancestors of an element, nearest last, without the domain ("1", "2")."""
    parts = element_id.split(".")
    return [".".join(parts[:n]) for n in range(2, len(parts)) if ".".join(parts[:n]) in content]


def technology_external_id(example: str) -> str:
    """The stable id of an O*NET technology: its spellings that normalise alike share it."""
    return TECHNOLOGY_PREFIX + (normalise_skill_name(example) or example.strip().casefold())


def _links_occupation(code: str) -> bool:
    return code.startswith(LINKED_OCCUPATION_PREFIXES) or code in LINKED_OCCUPATION_CODES


# O*NET names its releases "db_29_3_text" (folder or zip); the bundled copy is "onet-29.3".
_ONET_RELEASE_NAME = re.compile(
    r"^(?:onet-(?P<dotted>\d+(?:\.\d+)*)|db_(?P<underscored>\d+(?:_\d+)*)_text)(?:\.zip)?$"
)


def onet_release_of(path: Path) -> str | None:
    """The release a folder or zip holds, from its name ("db_30_1_text.zip" -> "30.1")."""
    match = _ONET_RELEASE_NAME.match(path.name)
    if not match:
        return None
    return match["dotted"] or match["underscored"].replace("_", ".")


def _version(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def find_onet_release(data_dir: Path) -> Path:
    """The newest O*NET release folder or zip in ``data_dir``."""
    candidates = [
        p
        for p in data_dir.iterdir()
        if onet_release_of(p) and (p.is_dir() or zipfile.is_zipfile(p))
    ]
    if not candidates:
        raise LibraryDataMissing(
            f"No O*NET release (onet-<release>/, db_<release>_text/ or db_<release>_text.zip) "
            f"in {data_dir}."
        )
    return max(candidates, key=lambda p: _version(onet_release_of(p) or "0"))


def find_esco_dir(data_dir: Path) -> Path:
    """``esco/``, else the folder that holds ESCO's transversal collection (ESCO's own download
    is a folder named after its version)."""
    if (data_dir / "esco").is_dir():
        return data_dir / "esco"
    for candidate in sorted(p for p in data_dir.iterdir() if p.is_dir()):
        if ReleaseFiles(candidate).has(ESCO_TRANSVERSAL.name):
            return candidate
    raise LibraryDataMissing(
        f"No ESCO folder (esco/, or a folder holding {ESCO_TRANSVERSAL.name}) in {data_dir}."
    )


@dataclass(frozen=True)
class LibraryLocation:
    """Where one import reads from: an O*NET release and an ESCO CSV folder."""

    onet: ReleaseFiles
    onet_release: str
    esco: ReleaseFiles

    def __str__(self) -> str:
        return f"O*NET {self.onet_release} from {self.onet}, ESCO from {self.esco}"


def locate_library(
    data_dir: Path | None = None, *, onet: Path | None = None, esco: Path | None = None
) -> LibraryLocation:
    """The files to import: ``onet`` and ``esco`` if given, else found in ``data_dir`` (by
    default ``default_data_dir()``), which holds an O*NET release and an ESCO folder."""
    base = data_dir or default_data_dir()
    if (onet is None or esco is None) and not base.is_dir():
        raise LibraryDataMissing(f"Skill library directory {base} does not exist.")
    onet_path = onet or find_onet_release(base)
    release = onet_release_of(onet_path)
    if release is None:
        raise LibraryDataMissing(
            f"Cannot tell the O*NET release from the name {onet_path.name!r}: keep O*NET's name "
            "(db_<release>_text, folder or zip) or name it onet-<release>."
        )
    return LibraryLocation(
        onet=ReleaseFiles(onet_path),
        onet_release=release,
        esco=ReleaseFiles(esco or find_esco_dir(base)),
    )


def parse_onet(files: ReleaseFiles, release: str) -> LibraryData:
    content = read_content_model(files)
    skill_ratings = read_ratings(files, SKILLS)
    knowledge_ratings = read_ratings(files, KNOWLEDGE)
    style_ratings = read_ratings(files, WORK_STYLES)
    technologies = read_technology_skills(files)
    unspsc = read_unspsc(files)
    anchor_rows = read_level_anchors(files)
    occupations = read_occupations(files)

    data = LibraryData(source=LibrarySource.ONET.value, occupations=occupations)
    attribution = ONET_ATTRIBUTION.format(release=release)
    categories: dict[str, CategoryRecord] = {}

    # Elements: dict keeps file order, so the library lists them as O*NET does.
    element_names: dict[str, str] = {}
    for rating in [*skill_ratings, *knowledge_ratings, *style_ratings]:
        element_names.setdefault(rating.element_id, rating.element_name)
    for element_id, file_name in element_names.items():
        ancestors = _onet_ancestors(element_id, content)
        for depth, ancestor in enumerate(ancestors):
            categories.setdefault(
                ancestor,
                CategoryRecord(
                    source=LibrarySource.ONET.value,
                    external_id=ancestor,
                    name=content[ancestor].name,
                    description=content[ancestor].description,
                    kind=_onet_kind(ancestor),
                    parent_external_id=ancestors[depth - 1] if depth else None,
                ),
            )
        element = content.get(element_id)
        data.skills.append(
            SkillRecord(
                source=LibrarySource.ONET.value,
                external_id=element_id,
                name=element.name if element else file_name,
                description=element.description if element else "",
                kind=_onet_kind(element_id),
                category_external_id=ancestors[-1] if ancestors else None,
                aliases=(),
                attribution=attribution,
                release=release,
            )
        )

    # Technologies, merged by normalised name.
    by_key: dict[str, list[TechnologyRow]] = defaultdict(list)
    for row in technologies:
        by_key[technology_external_id(row.example)].append(row)
    tech_attribution = ONET_TECHNOLOGY_ATTRIBUTION.format(release=release)
    for key, rows in by_key.items():
        spellings = Counter(r.example for r in rows)
        name = min(spellings, key=lambda s: (-spellings[s], s))
        commodities = Counter(r.commodity_code for r in rows)
        commodity = min(commodities, key=lambda c: (-commodities[c], c))
        commodity_title = next(r.commodity_title for r in rows if r.commodity_code == commodity)
        category_id = _add_unspsc_categories(categories, commodity, commodity_title, unspsc)
        data.skills.append(
            SkillRecord(
                source=LibrarySource.ONET.value,
                external_id=key,
                name=name,
                description="",
                kind=SkillKind.TECHNICAL,
                category_external_id=category_id,
                aliases=tuple(sorted(s for s in spellings if s != name)),
                attribution=tech_attribution,
                release=release,
                hot_technology=any(r.hot_technology for r in rows),
                in_demand=any(r.in_demand for r in rows),
            )
        )
    data.categories = list(categories.values())

    skill_ids = {
        s.external_id for s in data.skills if not s.external_id.startswith(TECHNOLOGY_PREFIX)
    }
    data.anchors = [
        AnchorRecord(a.element_id, a.value, a.description)
        for a in anchor_rows
        if a.scale_id == "LV" and a.element_id in skill_ids
    ]
    data.occupation_skills = _onet_links(
        {o.code for o in occupations},
        [*skill_ratings, *knowledge_ratings],
        style_ratings,
        technologies,
    )
    return data


def _add_unspsc_categories(
    categories: dict[str, CategoryRecord], code: str, title: str, unspsc: dict[str, UnspscRow]
) -> str:
    """Add the commodity's category and its class, family and segment; return its id."""
    row = unspsc.get(code)
    chain = [(code, row.commodity_title if row else title)]
    if row:
        chain += [
            (row.class_code, row.class_title),
            (row.family_code, row.family_title),
            (row.segment_code, row.segment_title),
        ]
    ids = [UNSPSC_PREFIX + c for c, _ in chain]
    for i, (_, name) in enumerate(chain):
        categories.setdefault(
            ids[i],
            CategoryRecord(
                source=LibrarySource.ONET.value,
                external_id=ids[i],
                name=name,
                description="",
                kind=SkillKind.TECHNICAL,
                parent_external_id=ids[i + 1] if i + 1 < len(ids) else None,
            ),
        )
    return ids[0]


def _onet_links(
    occupation_codes: set[str],
    skill_ratings: Iterable[Rating],
    style_ratings: Iterable[Rating],
    technologies: Iterable[TechnologyRow],
) -> list[OccupationSkillRecord]:
    def wanted(code: str) -> bool:
        return code in occupation_codes and _links_occupation(code)

    links: dict[tuple[str, str], dict[str, Any]] = {}
    for rating in skill_ratings:
        if not wanted(rating.occupation_code):
            continue
        link = links.setdefault((rating.occupation_code, rating.element_id), {})
        if rating.scale_id == "IM":
            link["importance"] = rating.value
        elif rating.scale_id == "LV":
            link["level"] = rating.value
            link["not_relevant"] = rating.not_relevant
    for rating in style_ratings:
        if wanted(rating.occupation_code) and rating.scale_id == "IM":
            links.setdefault((rating.occupation_code, rating.element_id), {})["importance"] = (
                rating.value
            )
    for row in technologies:
        if not wanted(row.occupation_code):
            continue
        key = (row.occupation_code, technology_external_id(row.example))
        link = links.setdefault(key, {"in_demand": False})
        link["in_demand"] = link["in_demand"] or row.in_demand
    return [OccupationSkillRecord(code, skill, **values) for (code, skill), values in links.items()]


def parse_esco(files: ReleaseFiles) -> LibraryData:
    rows: dict[str, EscoRow] = {}
    kinds: dict[str, SkillKind] = {}
    for spec, kind in ESCO_COLLECTIONS:
        for row in read_esco_collection(files, spec):
            rows.setdefault(row.concept_uri, row)
            kinds[row.concept_uri] = kind

    def group_of(uri: str, seen: frozenset[str] = frozenset()) -> tuple[str, str] | None:
        broader = rows[uri].broader
        groups = [b for b in broader if b[0] not in rows and _UUID_TAIL.search(b[0])]
        if groups:
            return groups[0]
        for parent, _ in broader:
            if parent in rows and parent not in seen and (found := group_of(parent, seen | {uri})):
                return found
        others = [b for b in broader if b[0] not in rows]
        return others[0] if others else None

    data = LibraryData(source=LibrarySource.ESCO.value)
    category_names: dict[str, str] = {}
    category_kinds: dict[str, set[str]] = defaultdict(set)
    for uri, row in rows.items():
        group = group_of(uri)
        if group:
            category_names.setdefault(*group)
            category_kinds[group[0]].add(kinds[uri])
        data.skills.append(
            SkillRecord(
                source=LibrarySource.ESCO.value,
                external_id=uri,
                name=row.preferred_label,
                description=row.description,
                kind=kinds[uri],
                category_external_id=group[0] if group else None,
                aliases=tuple(dict.fromkeys(a for a in row.alt_labels if a != row.preferred_label)),
                attribution=ESCO_ATTRIBUTION,
                release="",
            )
        )
    # A group holding any ICT skill is technical: "ICT safety" should not be filed as human.
    data.categories = [
        CategoryRecord(
            source=LibrarySource.ESCO.value,
            external_id=uri,
            name=name,
            description="",
            kind=SkillKind.TECHNICAL
            if SkillKind.TECHNICAL in category_kinds[uri]
            else SkillKind.HUMAN,
        )
        for uri, name in category_names.items()
    ]
    return data


def parse_library(location: LibraryLocation) -> list[LibraryData]:
    """Read and check every file before anything is written. Every missing file and renamed
    column is named at once, so an operator trying a newer release fixes them in one go."""
    problems = [
        *location.onet.header_problems(ONET_FILES),
        *location.esco.header_problems(ESCO_FILES),
    ]
    if problems:
        raise LibraryFormatError(
            f"The skill library at {location} cannot be read:\n"
            + "\n".join(f"- {problem}" for problem in problems)
        )
    return [parse_onet(location.onet, location.onet_release), parse_esco(location.esco)]


# The library ships with the product (O*NET and ESCO, trimmed to the columns read here and
# compressed; library_data/README.md has the licences and the attribution).
BUNDLED_DATA_DIR = Path(__file__).resolve().parent / "library_data"


def default_data_dir() -> Path:
    """``SKILL_LIBRARY_DIR`` if set (a newer official release), else the bundled copy."""
    configured = getattr(settings, "SKILL_LIBRARY_DIR", None)
    return Path(configured) if configured else BUNDLED_DATA_DIR


def pack_release(files: ReleaseFiles, specs: Iterable[FileSpec], out_dir: Path) -> list[Path]:
    """Write ``specs``' files from ``files`` into ``out_dir`` as the bundled copy holds them:
    only the columns the importer reads, in the release's order, gzip-compressed with no
    timestamp, so the same release always packs to the same bytes."""
    specs = list(specs)
    if problems := files.header_problems(specs):
        raise LibraryFormatError("\n".join(problems))
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for spec in specs:
        rows = _read_rows(files, spec)
        target = out_dir / f"{spec.name}.gz"
        with (
            target.open("wb") as raw,
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
            io.TextIOWrapper(gz, encoding="utf-8", newline="") as text,
        ):
            writer = csv.writer(text, delimiter=spec.delimiter, lineterminator="\n")
            writer.writerow(spec.columns)
            writer.writerows([row[column] for column in spec.columns] for row in rows)
        written.append(target)
    return written


# --- writing -----------------------------------------------------------------------------------


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deleted += other.deleted
        return self

    def __str__(self) -> str:
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return text + (f", {self.deleted} deleted" if self.deleted else "")


@dataclass
class ImportSummary:
    """Counts per source ("onet", "esco") and table ("skills", "categories", ...)."""

    sources: dict[str, dict[str, Counts]] = field(default_factory=dict)

    def add(self, source: str, table: str, counts: Counts) -> None:
        table_counts = self.sources.setdefault(source, {}).setdefault(table, Counts())
        table_counts += counts

    def total(self) -> Counts:
        total = Counts()
        for tables in self.sources.values():
            for counts in tables.values():
                total += counts
        return total


ProgressCallback = Callable[[str, int, int], None]
M = TypeVar("M", bound=models.Model)
K = TypeVar("K")


def _sync(
    model: type[M],
    existing: dict[K, M],
    desired: dict[K, dict[str, Any]],
    *,
    delete_missing: bool = False,
) -> Counts:
    """Create, update (only changed fields) and optionally delete so that the table matches.

    ``desired`` values use attnames for foreign keys (``category_id``) so that nothing is fetched.
    """
    counts = Counts()
    to_create: list[M] = []
    to_update: list[M] = []
    changed_fields: set[str] = set()
    for key, values in desired.items():
        obj = existing.get(key)
        if obj is None:
            to_create.append(model(**values))
            continue
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if not changed:
            counts.unchanged += 1
            continue
        for name in changed:
            setattr(obj, name, values[name])
        changed_fields.update(changed)
        to_update.append(obj)
    manager = model._default_manager
    manager.bulk_create(to_create, batch_size=_BATCH_SIZE)
    if to_update:
        manager.bulk_update(to_update, sorted(changed_fields), batch_size=_BATCH_SIZE)
    counts.created, counts.updated = len(to_create), len(to_update)
    if delete_missing:
        stale = [obj.pk for key, obj in existing.items() if key not in desired]
        for start in range(0, len(stale), _BATCH_SIZE):
            manager.filter(pk__in=stale[start : start + _BATCH_SIZE]).delete()
        counts.deleted = len(stale)
    return counts


def _ids(queryset: models.QuerySet[Any], key: str) -> dict[str, int]:
    return dict(queryset.values_list(key, "pk"))


def _sync_categories(data: LibraryData) -> tuple[Counts, dict[str, int]]:
    """Parents before children, so that every parent_id is known when a child is written."""
    records = {c.external_id: c for c in data.categories}

    def depth(record: CategoryRecord) -> int:
        level, parent = 0, record.parent_external_id
        while parent in records and level < len(records):
            level, parent = level + 1, records[parent].parent_external_id
        return level

    queryset = LibraryCategory.objects.filter(source=data.source)
    existing = {c.external_id: c for c in queryset}
    counts = Counts()
    ids = {key: c.pk for key, c in existing.items()}
    by_depth: dict[int, list[CategoryRecord]] = defaultdict(list)
    for record in records.values():
        by_depth[depth(record)].append(record)
    for level in sorted(by_depth):
        desired = {
            r.external_id: {
                "source": r.source,
                "external_id": r.external_id,
                "name": r.name,
                "description": r.description,
                "kind": r.kind,
                "parent_id": ids.get(r.parent_external_id or ""),
            }
            for r in by_depth[level]
        }
        counts += _sync(LibraryCategory, existing, desired)
        ids = _ids(queryset, "external_id")
    return counts, ids


def _sync_skills(data: LibraryData, category_ids: dict[str, int]) -> tuple[Counts, dict[str, int]]:
    queryset = LibrarySkill.objects.filter(source=data.source)
    desired = {
        s.external_id: {
            "source": s.source,
            "external_id": s.external_id,
            "name": s.name,
            "description": s.description,
            "kind": s.kind,
            "category_id": category_ids.get(s.category_external_id or ""),
            "aliases": list(s.aliases),
            "hot_technology": s.hot_technology,
            "in_demand": s.in_demand,
            "attribution": s.attribution,
            "release": s.release,
            "normalised_name": normalise_skill_name(s.name),
        }
        for s in data.skills
    }
    counts = _sync(LibrarySkill, {s.external_id: s for s in queryset}, desired)
    return counts, _ids(queryset, "external_id")


def _sync_anchors(data: LibraryData, skill_ids: dict[str, int]) -> Counts:
    desired = {
        (skill_ids[a.skill_external_id], a.level): {
            "skill_id": skill_ids[a.skill_external_id],
            "level": a.level,
            "description": a.description,
        }
        for a in data.anchors
    }
    existing = {
        (a.skill_id, a.level): a
        for a in LibraryLevelAnchor.objects.filter(skill__source=data.source)
    }
    return _sync(LibraryLevelAnchor, existing, desired, delete_missing=True)


def _sync_occupations(data: LibraryData) -> tuple[Counts, dict[str, int]]:
    desired = {
        o.code: {"code": o.code, "title": o.title, "description": o.description}
        for o in data.occupations
    }
    counts = _sync(LibraryOccupation, {o.code: o for o in LibraryOccupation.objects.all()}, desired)
    return counts, _ids(LibraryOccupation.objects.all(), "code")


def _sync_occupation_skills(
    data: LibraryData, occupation_ids: dict[str, int], skill_ids: dict[str, int]
) -> Counts:
    desired: dict[tuple[int, int], dict[str, Any]] = {}
    for link in data.occupation_skills:
        key = (occupation_ids[link.occupation_code], skill_ids[link.skill_external_id])
        desired[key] = {
            "occupation_id": key[0],
            "skill_id": key[1],
            "importance": link.importance,
            "level": link.level,
            "not_relevant": link.not_relevant,
            "in_demand": link.in_demand,
        }
    existing = {
        (link.occupation_id, link.skill_id): link
        for link in LibraryOccupationSkill.objects.filter(skill__source=data.source)
    }
    return _sync(LibraryOccupationSkill, existing, desired, delete_missing=True)


def import_library(
    source: Path | LibraryLocation, *, progress: ProgressCallback | None = None
) -> ImportSummary:
    """Upsert the O*NET and ESCO files (a folder holding both, or a located pair) into the
    library, idempotently.

    Every file is parsed and checked first, then everything is written in one transaction: a
    broken file leaves the library as it was. ``progress(step, done, total)`` is called after
    each step.
    """
    location = source if isinstance(source, LibraryLocation) else locate_library(Path(source))
    sources = parse_library(location)
    total = sum(5 if data.occupations else 2 for data in sources)
    summary = ImportSummary()
    done = 0

    def record(data: LibraryData, table: str, counts: Counts) -> None:
        nonlocal done
        summary.add(data.source, table, counts)
        done += 1
        if progress:
            progress(f"{data.source} {table}", done, total)

    with transaction.atomic():
        for data in sources:
            counts, category_ids = _sync_categories(data)
            record(data, "categories", counts)
            counts, skill_ids = _sync_skills(data, category_ids)
            record(data, "skills", counts)
            if not data.occupations:
                continue
            record(data, "level anchors", _sync_anchors(data, skill_ids))
            counts, occupation_ids = _sync_occupations(data)
            record(data, "occupations", counts)
            record(
                data,
                "occupation skills",
                _sync_occupation_skills(data, occupation_ids, skill_ids),
            )
    return summary
