"""Round pages: the list, the create wizard with its previews, one round with its moves (launch, extend, close,
cancel, invite late-comers), its invitations, and resending or reminding one invitation by hand.

Every move is a command; a refused one (DomainError) comes back as a message on the page, never a 500.
Invitations are shown by status and last message, never by link: a respondent's token never reaches a staff page.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from wfsurvey import clock, settings
from wfsurvey.authz import staff_required
from wfsurvey.blueprints.outcomes import run_on_form, run_or_flash
from wfsurvey.blueprints.respond.display import FormView, form_view
from wfsurvey.blueprints.staff import bp, short_local
from wfsurvey.domain import commands as cmd
from wfsurvey.domain.errors import DomainError
from wfsurvey.domain.invitations import INVITATION_STATUSES
from wfsurvey.domain.reminders import ReminderPolicy
from wfsurvey.domain.rounds import next_steps
from wfsurvey.domain.rules import format_local, format_local_compact, parse_local, to_local
from wfsurvey.domain.stakeholders import ORG_TYPE_LABELS, ORG_TYPES
from wfsurvey.extensions import db
from wfsurvey.forms import ActionForm, add_domain_errors
from wfsurvey.forms.rounds import DEFINITION_FIELDS, CancelForm, ExtendForm, RoundFilterForm, RoundForm
from wfsurvey.mail.render import RenderedEmail, render_email, sender_name
from wfsurvey.models import Invitation, Round, Template
from wfsurvey.queries import audience
from wfsurvey.queries import rounds as round_queries
from wfsurvey.queries.actors import describe_actors
from wfsurvey.queries.status import region_names
from wfsurvey.queries.templates import find_template
from wfsurvey.services.outcomes import Outcome, attempt

#: How a refused move on a round is flashed.
NOT_DONE = "Not done: {message}."
#: The token in the sample link of the invitation preview: visibly not a real one.
SAMPLE_TOKEN = "preview-token"
#: How many of the people a draft would invite the preview lists by name.
AUDIENCE_SAMPLE = 50
INVITATIONS_PER_PAGE = 50
#: Where a button on a list of invitations sends the user back to (a name, never a URL: no open redirect).
BACK_TO = {"dashboard": "staff.round_dashboard", "invitations": "staff.round_invitations", "round": "staff.round_detail"}


def scheme() -> str:
    return settings.region_scheme()


def round_or_404(round_id: int) -> Round:
    round_ = db.session.scalars(select(Round).options(joinedload(Round.template)).where(Round.id == round_id)).first()
    if round_ is None:
        abort(404)
    return round_


def local_and_utc(moment, tz_name: str) -> dict[str, str]:
    """A time as staff read it, spelt out in the round's zone (with its abbreviation); its UTC form ("Jan 13, 2027,
    1:00 AM UTC") for a tooltip, and ISO 8601 only for a <time datetime> attribute, which no one reads."""
    return {"local": format_local(moment, tz_name), "utc": format_local_compact(moment, "UTC"),
            "iso": moment.astimezone(dt.timezone.utc).isoformat()}


# --- list ---------------------------------------------------------------------------------

@bp.get("/rounds")
@staff_required
def rounds():
    filters = RoundFilterForm(request.args)
    state = (filters.state.data or None) if filters.validate() else None
    page_number = max(request.args.get("page", 1, type=int) or 1, 1)
    page = round_queries.round_list(db.session, state=state, page=page_number, per_page=50)
    return render_template("staff/round_list.html", filters=filters, page=page,
                           pages=max(1, math.ceil(page.total / page.per_page)))


# --- the create wizard --------------------------------------------------------------------

@dataclass
class AudienceSummary:
    invited: int
    opted_out: int
    by_type: dict[str, int]
    sample: list[audience.Eligible] = field(default_factory=list)


@dataclass
class WizardPreview:
    """What the wizard's Preview shows; each part is None when the inputs it needs are missing or wrong."""

    audience: AudienceSummary | None = None
    audience_error: str | None = None
    window: dict[str, dict[str, str]] | None = None
    reminders: list[dict[str, str]] | None = None
    template: Template | None = None
    email: RenderedEmail | None = None
    sample_link: str = ""
    #: The form as the chosen organization type sees it, every page at once under its section's heading.
    form: FormView | None = None
    preview_as: str = "lwib"


def summarise_audience(chosen: cmd.Audience) -> AudienceSummary:
    found = audience.resolve(db.session, chosen)
    by_type = Counter(person.org_type for person in found.eligible)
    ordered = {t: by_type[t] for t in ORG_TYPES if by_type[t]}
    return AudienceSummary(len(found.eligible), found.opted_out, ordered, found.eligible[:AUDIENCE_SAMPLE])


def reminder_times(policy: ReminderPolicy, tz_name: str, closes_at: dt.datetime,
                   opens_at: dt.datetime) -> list[dict[str, str]]:
    """Each reminder slot of a round's reminder settings with the time it falls due (slots before the window opens never come)."""
    return [{"offset": slot.name, **local_and_utc(slot.due_at, tz_name)}
            for slot in policy.slots(closes_at, tz_name, opens_at=opens_at)]


def sample_email(template: Template, title: str, opens_at, closes_at, tz_name: str,
                 person: audience.Eligible | None) -> tuple[RenderedEmail, str]:
    base = current_app.config["BASE_URL"].rstrip("/")
    link = f"{base}/r/{SAMPLE_TOKEN}"
    rendered = render_email(
        "invitation", contact_name=person.name if person else "Pat Example",
        organization_name=person.organization_name if person else "Example Workforce Board",
        round_title=title or "(round title)", template_title=template.title,
        opens_local=format_local(opens_at, tz_name), closes_local=format_local(closes_at, tz_name),
        link=link, opt_out_link=f"{link}/opt-out", sender_name=sender_name(current_app.config["MAIL_FROM"]),
        reply_to=current_app.config.get("MAIL_REPLY_TO") or "",
    )
    return rendered, link


def wizard_preview(form: RoundForm) -> WizardPreview:
    preview = WizardPreview()
    preview.preview_as = request.form.get("preview_as") if request.form.get("preview_as") in ORG_TYPES else "lwib"
    if not any(form[name].errors for name in ("regions", "org_types", "include_contacts", "exclude_contacts")):
        counted = attempt(lambda: summarise_audience(form.audience()))
        preview.audience = counted.value
        preview.audience_error = counted.error.message if counted.error else None
    window = form.window()
    if window is not None:
        opens_at, closes_at = window
        preview.window = {"opens": local_and_utc(opens_at, form.timezone.data),
                          "closes": local_and_utc(closes_at, form.timezone.data)}
        if not (form.offsets.errors or form.other_offsets.errors):
            preview.reminders = reminder_times(form.reminder_policy(), form.timezone.data, closes_at, opens_at)
    key = form.template_key()
    if key is not None and not form.template.errors:
        preview.template = find_template(db.session, *key)
    if preview.template is not None:
        preview.form = form_view(preview.template.questions, preview.preview_as, {}, {})
        if window is not None:
            person = preview.audience.sample[0] if preview.audience and preview.audience.sample else None
            preview.email, preview.sample_link = sample_email(preview.template, (form.title.data or "").strip(),
                                                              window[0], window[1], form.timezone.data, person)
    return preview


def _flatten(fields: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    """{"audience": {"regions": [...]}} -> {"audience.regions": [...]}; marshmallow nests a field's errors."""
    out: dict[str, list[str]] = {}
    for key, value in fields.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            out[name] = [str(v) if not isinstance(v, dict) else "; ".join(f"{k}: {m}" for k, m in v.items()) for v in value]
        else:
            out[name] = [str(value)]
    return out


def add_definition_errors(form: RoundForm, exc: DomainError) -> None:
    """Put a refused CreateRound's errors (named as the API names them: "template", "audience": {"regions"}) on
    the wizard's fields."""
    flat = _flatten(exc.fields or {})
    placed = {DEFINITION_FIELDS[name]: messages for name, messages in flat.items() if name in DEFINITION_FIELDS}
    add_domain_errors(form, DomainError(exc.message, code=exc.code, fields=placed))
    # Anything that names no field of the wizard is still said, at the top of the page.
    for name, messages in flat.items():
        if name not in DEFINITION_FIELDS:
            form.form_errors.append(f"{name}: {' '.join(messages)}")


def _wizard(form: RoundForm, *, mode: str, heading: str, action_url: str, source: Round | None,
            submit) -> Any:
    """The wizard's page for a new round, a copy of one ("New round from this one") or a draft's edit: Preview shows
    what would happen; the last button runs `submit(form)`, which answers a redirect or None (refused: shown)."""
    preview = None
    if form.is_submitted():
        valid = form.validate()
        if form.csrf_token.errors:
            pass  # an expired page: the error summary says so, nothing is previewed or saved
        elif request.form.get("action") == "preview":
            preview = wizard_preview(form)
        elif valid:
            done = submit(form)
            if done is not None:
                return done
    return render_template("staff/round_new.html", form=form, preview=preview, type_labels=ORG_TYPE_LABELS,
                           org_types=ORG_TYPES, has_templates=bool(form.template.choices),
                           has_regions=bool(form.regions.choices), mode=mode, heading=heading,
                           action_url=action_url, source=source, round=source if mode == "edit" else None)


def _create(form: RoundForm):
    created = run_on_form(form.command(), form, place=add_definition_errors)
    if not created.ok:
        return None
    flash(f"Draft round {created.value.id} created. Check it, then launch it.", "success")
    return redirect(url_for("staff.round_detail", round_id=created.value.id))


@bp.route("/rounds/new", methods=["GET", "POST"])
@staff_required
def new_round():
    form = RoundForm(scheme=scheme())
    # "New round from this one": the template version, audience and reminders of ?from=<round>, a new window.
    given = request.args.get("from", "")
    source = round_or_404(int(given)) if given.isascii() and given.isdigit() and len(given) < 10 else None
    if source is not None and not form.is_submitted():
        form.fill_from(source, new_window=True)
    action = url_for("staff.new_round", **({"from": source.id} if source else {}))
    return _wizard(form, mode="copy" if source else "new", heading="New round", action_url=action, source=source,
                   submit=_create)


@bp.route("/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_round(round_id: int):
    round_ = round_or_404(round_id)
    if round_.state != "draft":
        # Launched, its invitations answer this definition: say so, and offer the next wave instead.
        return render_template("staff/round_not_editable.html", round=round_), 409 if request.method == "POST" else 200
    form = RoundForm(scheme=scheme())
    if not form.is_submitted():
        form.fill_from(round_)

    def save(form: RoundForm):
        if not run_on_form(cmd.EditRound(round_.id, form.command()), form, place=add_definition_errors).ok:
            return None
        flash("The changes are saved. The round is still a draft: launch it when it is ready.", "success")
        return redirect(url_for("staff.round_detail", round_id=round_id))

    return _wizard(form, mode="edit", heading=f"Change the draft “{round_.title}”",
                   action_url=url_for("staff.edit_round", round_id=round_id), source=round_, submit=save)


# --- one round ----------------------------------------------------------------------------

def _latecomers(round_: Round) -> int:
    """People now in the audience who have no invitation yet (joined or changed after launch)."""
    eligible = audience.resolve(db.session, cmd.Audience.from_stored(round_.audience)).eligible
    invited = set(db.session.scalars(select(Invitation.contact_id).where(Invitation.round_id == round_.id)))
    return sum(1 for person in eligible if person.contact_id not in invited)


def render_round(round_: Round, *, extend_form: ExtendForm | None = None, cancel_form: CancelForm | None = None):
    chosen = cmd.Audience.from_stored(round_.audience)
    names = region_names(db.session, list(chosen.regions))
    would_invite = latecomers = None
    counted: Outcome[Any] = Outcome()
    if round_.state == "draft":
        counted = attempt(lambda: summarise_audience(chosen))
        would_invite = counted.value
    elif round_.state in ("scheduled", "open"):
        counted = attempt(lambda: _latecomers(round_))
        latecomers = counted.value
    # Refused when a region was renamed or removed since the round was made.
    audience_error = counted.error.message if counted.error else None
    extend_form = extend_form or ExtendForm()
    cancel_form = cancel_form or CancelForm()
    if not extend_form.is_submitted():
        extend_form.closes_at.data = to_local(round_.closes_at, round_.timezone).replace(tzinfo=None)
    now = clock.now()
    policy = ReminderPolicy.from_stored(round_.reminders)
    # A draft that opens when launched would open now: its reminders are reckoned from now.
    opens_at = now if round_.state == "draft" and round_.opens_on_launch else round_.opens_at
    steps = next_steps(
        state=round_.state, opens_at=opens_at, closes_at=round_.closes_at, opens_on_launch=round_.opens_on_launch,
        reminder_slots=[(slot.name, slot.due_at) for slot in policy.slots(round_.closes_at, round_.timezone, opens_at=opens_at)],
        send_hours=policy.send_hours, tz_name=round_.timezone, now=now)
    return render_template(
        "staff/round_detail.html", round=round_, names=names, type_labels=ORG_TYPE_LABELS,
        opens=local_and_utc(round_.opens_at, round_.timezone), closes=local_and_utc(round_.closes_at, round_.timezone),
        reminders=reminder_times(ReminderPolicy.from_stored(round_.reminders), round_.timezone, round_.closes_at,
                                 round_.opens_at),
        invitations=round_queries.invitation_count(db.session, round_.id), would_invite=would_invite,
        latecomers=latecomers, audience_error=audience_error, extend_form=extend_form, cancel_form=cancel_form,
        action_form=ActionForm(), now_utc=now, steps=steps,
        planned=local_and_utc(round_.planned_opens_at, round_.timezone) if round_.planned_opens_at else None,
        created_by=describe_actors(db.session, [round_.created_by])[round_.created_by],
    )


@bp.get("/rounds/<int:round_id>")
@staff_required
def round_detail(round_id: int):
    return render_round(round_or_404(round_id))


@bp.post("/rounds/<int:round_id>/launch")
@staff_required
def launch_round(round_id: int):
    round_ = round_or_404(round_id)
    if run_or_flash(cmd.LaunchRound(round_.id), wording=NOT_DONE).ok:
        round_ = round_or_404(round_id)
        count = round_queries.invitation_count(db.session, round_id)
        flash(f"Round launched: {count} invitation{'s' if count != 1 else ''} issued; the round is {round_.state}"
              + (" and the invitations are on their way." if round_.state == "open"
                 else f" and opens {format_local(round_.opens_at, round_.timezone)}."), "success")
    return redirect(url_for("staff.round_detail", round_id=round_id))


def _one_button_move(round_id: int, command: Any, said) -> Any:
    """A move that is one button on the round's page: run it, then flash what it did (`said(round)`, read after the
    move) or why it was refused; back to the round's page."""
    round_or_404(round_id)
    if run_or_flash(command, wording=NOT_DONE).ok:
        flash(said(round_or_404(round_id)), "success")
    return redirect(url_for("staff.round_detail", round_id=round_id))


@bp.post("/rounds/<int:round_id>/open-now")
@staff_required
def open_round_now(round_id: int):
    return _one_button_move(round_id, cmd.OpenRoundNow(round_id),
                            lambda round_: "The round is open: its invitations go out within a minute.")


@bp.post("/rounds/<int:round_id>/schedule")
@staff_required
def schedule_round(round_id: int):
    return _one_button_move(round_id, cmd.ScheduleRound(round_id), lambda round_: (
        f"The round waits again for its planned opening, {format_local(round_.opens_at, round_.timezone)}; "
        "invitation emails not yet sent go out then."))


@bp.post("/rounds/<int:round_id>/extend")
@staff_required
def extend_round(round_id: int):
    round_ = round_or_404(round_id)
    form = ExtendForm()
    if form.validate_on_submit():
        closes_at = parse_local(form.closes_at.data, round_.timezone)
        if run_on_form(cmd.ExtendRound(round_.id, closes_at), form).ok:
            flash(f"The round now closes {format_local(closes_at, round_.timezone)}.", "success")
            return redirect(url_for("staff.round_detail", round_id=round_id))
    return render_round(round_, extend_form=form)


@bp.post("/rounds/<int:round_id>/close")
@staff_required
def close_round(round_id: int):
    return _one_button_move(round_id, cmd.CloseRound(round_id), lambda round_: (
        "The round is closed: no more answers are accepted and the designations are final."))


@bp.post("/rounds/<int:round_id>/cancel")
@staff_required
def cancel_round(round_id: int):
    round_ = round_or_404(round_id)
    form = CancelForm()
    if form.validate_on_submit():
        if run_on_form(cmd.CancelRound(round_.id, form.reason.data.strip()), form).ok:
            flash("The round is cancelled; everyone who received an invitation is told.", "success")
            return redirect(url_for("staff.round_detail", round_id=round_id))
    return render_round(round_, cancel_form=form)


@bp.post("/rounds/<int:round_id>/latecomers")
@staff_required
def invite_latecomers(round_id: int):
    round_ = round_or_404(round_id)
    outcome = run_or_flash(cmd.InviteLatecomers(round_.id), wording=NOT_DONE)
    if outcome.ok:
        invited = outcome.value
        flash(f"{invited} late-comer{'s' if invited != 1 else ''} invited." if invited else
              "Nobody new to invite: everyone in the audience already has an invitation.", "success")
    return redirect(url_for("staff.round_detail", round_id=round_id))


# --- invitations --------------------------------------------------------------------------

def _invitation_or_404(round_id: int, invitation_id: int) -> Invitation:
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.round_id != round_id:
        abort(404)
    return invitation


def _back(round_id: int):
    endpoint = BACK_TO.get(request.form.get("back", ""), "staff.round_dashboard")
    return redirect(url_for(endpoint, round_id=round_id))


@bp.get("/rounds/<int:round_id>/invitations")
@staff_required
def round_invitations(round_id: int):
    round_ = round_or_404(round_id)
    status = request.args.get("status") or None
    page_number = max(request.args.get("page", 1, type=int) or 1, 1)
    page = round_queries.invitations(db.session, round_id, status=status, page=page_number, per_page=INVITATIONS_PER_PAGE)
    names = region_names(db.session, sorted({code for item in page.items for code in item["regions"]}))
    return render_template("staff/round_invitations.html", round=round_, page=page, status=status,
                           pages=max(1, math.ceil(page.total / page.per_page)), type_labels=ORG_TYPE_LABELS,
                           statuses=INVITATION_STATUSES, region_names=names)


@bp.post("/rounds/<int:round_id>/invitations/<int:invitation_id>/resend")
@staff_required
def resend_invitation(round_id: int, invitation_id: int):
    invitation = _invitation_or_404(round_id, invitation_id)
    if run_or_flash(cmd.ResendInvitation(invitation.id), wording=NOT_DONE).ok:
        flash(f"The invitation to {invitation.contact.name} is queued again, with a new link.", "success")
    return _back(round_id)


@bp.post("/rounds/<int:round_id>/invitations/<int:invitation_id>/remind")
@staff_required
def remind_invitation(round_id: int, invitation_id: int):
    invitation = _invitation_or_404(round_id, invitation_id)
    if run_or_flash(cmd.SendReminderNow(invitation.id), wording=NOT_DONE).ok:
        flash(f"A reminder to {invitation.contact.name} is queued.", "success")
    return _back(round_id)


@bp.app_template_filter("iso_local")
def iso_local(value: str | None, tz_name: str | None = None) -> str:
    """An ISO 8601 time as a query returns it, shown like short_local ("Nov 5, 2026, 9:51 AM PST")."""
    return short_local(value, tz_name)
