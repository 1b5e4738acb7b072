"""Users page: list accounts, create one (the password policy's refusal shown on the form), disable or
enable, change a role."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from wfsurvey.authz import admin_required
from wfsurvey.blueprints.admin import bp
from wfsurvey.blueprints.outcomes import run_on_form, run_or_flash
from wfsurvey.domain import commands as cmd
from wfsurvey.extensions import db
from wfsurvey.forms.users import CreateUserForm, RoleForm
from wfsurvey.models import User


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _page(form: CreateUserForm):
    users = db.session.scalars(select(User).order_by(User.active.desc(), User.email)).all()
    return render_template("admin/users.html", users=users, form=form,
                           role_forms={u.id: RoleForm(role=u.role, prefix=f"u{u.id}") for u in users})


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users():
    form = CreateUserForm()
    if form.validate_on_submit():
        command = cmd.CreateUser(email=form.email.data, password=form.password.data, role=form.role.data,
                                 name=form.name.data or "")
        if run_on_form(command, form).ok:
            flash(f"Account {form.email.data.strip().lower()} created.", "success")
            return redirect(url_for("admin.users"))
    return _page(form)


@bp.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    user = _user_or_404(user_id)
    # The wanted state, not a toggle: a form sent twice must not undo itself.
    make_active = request.form.get("active") == "1"
    if run_or_flash(cmd.SetUserActive(user_id=user.id, active=make_active)).ok:
        flash(f"{user.email} is {'enabled' if make_active else 'disabled; their sessions have ended'}.", "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/role")
@admin_required
def set_role(user_id: int):
    user = _user_or_404(user_id)
    form = RoleForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        flash("Choose staff or admin.", "error")
        return redirect(url_for("admin.users"))
    if run_or_flash(cmd.SetUserRole(user_id=user.id, role=form.role.data)).ok:
        flash(f"{user.email} is now {form.role.data}.", "success")
    return redirect(url_for("admin.users"))
