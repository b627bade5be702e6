"""Printable documents of a case, by process key and document name: what a case offers, its page, its PDF.

A process lists its documents in ``DOCUMENTS``; the web layer only knows names, titles and templates, so a new
document needs an entry here, a builder, a PDF renderer and a template, and no new route.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services import decision_pdf
from services import decisions
from services.errors import NotFound
from services.models import ProcessInstance
from services.models import User
from services.runtime import Runtime


@dataclass(frozen=True)
class DocumentKind:
    """One printable document a process offers."""

    name: str
    title: str
    title_en: str
    template: str
    build: Callable[[Session, Runtime, User, int], Any]
    words: Callable[[Any], Any]
    render_pdf: Callable[[Any], bytes]
    offered: Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Document:
    """A document of one case, ready to show: its kind, its content and the sentences it prints."""

    kind: DocumentKind
    instance_id: int
    content: Any
    words: Any


@dataclass(frozen=True)
class PdfFile:
    """A document as a PDF, with the file name it is offered under (``7-QĐ-UBND.pdf``)."""

    file_name: str
    content: bytes

    @property
    def ascii_name(self) -> str:
        """The file name without diacritics (``7-QD-UBND.pdf``), for clients that cannot read ``filename*``."""
        decomposed = unicodedata.normalize("NFD", self.file_name.replace("Đ", "D").replace("đ", "d"))
        return "".join(c for c in decomposed if c.isascii() and c not in '"\\')


def _decision_signed(data: Mapping[str, Any]) -> bool:
    return bool(data.get("decision_number") and data.get("recipients"))


DOCUMENTS: dict[str, dict[str, DocumentKind]] = {
    "award_nomination": {
        "decision": DocumentKind(
            name="decision", title="Quyết định khen thưởng", title_en="Award decision",
            template="documents/decision.html", build=decisions.decision_for, words=decision_pdf.wording,
            render_pdf=decision_pdf.render, offered=_decision_signed),
    },
}


def available(process_key: str, data: Mapping[str, Any]) -> list[DocumentKind]:
    """The documents a case of ``process_key`` with ``data`` offers now (a decision once it is signed)."""
    return [kind for kind in DOCUMENTS.get(process_key, {}).values() if kind.offered(data)]


def document(session: Session, runtime: Runtime, user: User, instance_id: int, name: str) -> Document:
    """Document ``name`` of case ``instance_id`` for ``user``.

    :raise NotFound: the case does not exist or ``user`` may not see it, the process has no document
        ``name``, or the case does not offer it yet.
    """
    kind = _kind(session, instance_id, name)
    content = kind.build(session, runtime, user, instance_id)
    return Document(kind, instance_id, content, kind.words(content))


def pdf(session: Session, runtime: Runtime, user: User, instance_id: int, name: str) -> PdfFile:
    """Document ``name`` of case ``instance_id`` as a PDF, for ``user``; raises as ``document`` does."""
    kind = _kind(session, instance_id, name)
    content = kind.build(session, runtime, user, instance_id)
    return PdfFile(_file_name(content), kind.render_pdf(content))


def pdf_by_business_key(session: Session, runtime: Runtime, business_key: str, name: str) -> PdfFile:
    """Document ``name`` of the case numbered ``business_key`` as a PDF, without a user's scope.

    For operators on the server (``reentry documents pdf``), who can read the database anyway; never call it
    on behalf of someone signed in. Raises ``NotFound`` as ``document`` does.
    """
    instance_id = session.scalar(select(ProcessInstance.id).where(ProcessInstance.business_key == business_key))
    if instance_id is None:
        raise NotFound("instance")
    return pdf(session, runtime, _operator(), instance_id, name)


def _kind(session: Session, instance_id: int, name: str) -> DocumentKind:
    # Only the process key is read here; whether the user may see the case is the builder's check.
    process_key = session.scalar(select(ProcessInstance.process_key).where(ProcessInstance.id == instance_id))
    kind = DOCUMENTS.get(process_key or "", {}).get(name)
    if kind is None:
        raise NotFound("document")
    return kind


def _operator() -> User:
    # Whoever runs a command on the server reads every case, as an auditor does; never stored, never signs in.
    return User(username="operator", full_name="Server operator", group_list=",auditor,", is_active=True)


def _file_name(content: Any) -> str:
    number = str(getattr(content, "number", "") or "document")
    return number.replace("/", "-") + ".pdf"
