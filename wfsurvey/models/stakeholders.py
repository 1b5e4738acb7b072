"""Regions, organizations and contacts: who a round can be sent to."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from wfsurvey.database import Base
from wfsurvey.domain.stakeholders import ORG_TYPES, slugify

organization_regions = Table(
    "organization_regions",
    Base.metadata,
    #: The organization that belongs to the region.
    Column("organization_id", Integer, ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
    #: The region it belongs to; a board may straddle two.
    Column("region_id", Integer, ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Region(Base):
    __tablename__ = "regions"
    __table_args__ = (
        UniqueConstraint("scheme", "code"),
        UniqueConstraint("scheme", "name"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The regional model the region belongs to, e.g. "cc-macro" (community-college macro regions) or "rpu".
    scheme: Mapped[str] = mapped_column(String(40))
    #: URL-safe slug unique within the scheme, e.g. "inland-empire-desert".
    code: Mapped[str] = mapped_column(String(80))
    #: Display name, e.g. "Inland Empire/Desert".
    name: Mapped[str] = mapped_column(String(200))
    #: When the region was created (UTC).
    created_at: Mapped[dt.datetime]

    organizations: Mapped[list[Organization]] = relationship(
        secondary=organization_regions, back_populates="regions", order_by="Organization.name"
    )

    def __repr__(self) -> str:
        return f"<Region {self.scheme}:{self.code}>"


class Organization(Base):
    __tablename__ = "organizations"
    __table_args__ = (
        UniqueConstraint("name"),
        CheckConstraint(f"org_type IN ({', '.join(repr(t) for t in ORG_TYPES)})", name="org_type"),
    )

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Full name as the organization writes it.
    name: Mapped[str] = mapped_column(String(300))
    #: lwib (local workforce board), college, employer or partner.
    org_type: Mapped[str] = mapped_column(String(20), index=True)
    #: When the organization was created (UTC).
    created_at: Mapped[dt.datetime]

    regions: Mapped[list[Region]] = relationship(
        secondary=organization_regions, back_populates="organizations", order_by="Region.code"
    )
    contacts: Mapped[list[Contact]] = relationship(back_populates="organization", order_by="Contact.name")

    @property
    def region_codes(self) -> list[str]:
        return sorted(r.code for r in self.regions)

    @property
    def slug(self) -> str:
        """Made from the name (names are unique): how the API names the organization (GET .../timeline)."""
        return slugify(self.name)

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.org_type} {self.name!r}>"


class Contact(Base):
    __tablename__ = "contacts"

    #: Surrogate key.
    id: Mapped[int] = mapped_column(primary_key=True)
    #: The organization the person speaks for.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    #: Full name.
    name: Mapped[str] = mapped_column(String(200))
    #: Normalized address (email-validator, domain lower-cased); unique across all contacts.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    #: Job title, free text.
    title: Mapped[str] = mapped_column(String(200), default="")
    #: When the person opted out of all survey mail; None while they receive it.
    opted_out_at: Mapped[dt.datetime | None]
    #: When any message was last sent to the person, across rounds (for the minimum gap).
    last_messaged_at: Mapped[dt.datetime | None]
    #: When the contact was created (UTC).
    created_at: Mapped[dt.datetime]
    #: When the contact was last changed (UTC).
    updated_at: Mapped[dt.datetime]

    organization: Mapped[Organization] = relationship(back_populates="contacts")

    @property
    def opted_out(self) -> bool:
        return self.opted_out_at is not None

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.email}>"
