"""The two registries: which function handles each command, and which policies react to each event.

Projections (read models) are listed separately in wfsurvey.projections.PROJECTIONS, because a
rebuild replays them and must not replay policies (which send mail or record new events).
"""
from __future__ import annotations

from wfsurvey.domain import commands as cmd
from wfsurvey.domain import events as ev
from wfsurvey.services import (
    accounts, convenings, deliveries, designations, imports, pilots, reminders, respond, rounds, series,
    stakeholder_edits, stakeholders, templates, users,
)

COMMAND_HANDLERS: dict[type, object] = {
    # stakeholders
    cmd.CreateRegion: stakeholders.create_region,
    cmd.ImportRegions: imports.import_regions,
    cmd.CreateOrganization: stakeholders.create_organization,
    cmd.CreateContact: stakeholders.create_contact,
    cmd.ImportContacts: imports.handle_import_contacts,
    cmd.UpdateOrganization: stakeholder_edits.update_organization,
    cmd.UpdateContact: stakeholder_edits.update_contact,
    cmd.MarkContactOptedOut: stakeholder_edits.mark_contact_opted_out,
    cmd.MarkContactOptedIn: stakeholder_edits.mark_contact_opted_in,
    # users
    cmd.CreateUser: users.create_user,
    cmd.SetPassword: users.set_password,
    cmd.CreateApiToken: users.create_api_token,
    cmd.RevokeApiToken: users.revoke_api_token,
    cmd.SetUserActive: accounts.set_user_active,
    cmd.SetUserRole: accounts.set_user_role,
    cmd.EndUserSessions: accounts.end_user_sessions,
    cmd.RecordLogin: accounts.record_login,
    # templates and rounds
    cmd.CreateTemplate: templates.create_template,
    cmd.CreateRound: rounds.create_round,
    cmd.LaunchRound: rounds.launch_round,
    cmd.OpenRound: rounds.open_round,
    cmd.EditRound: rounds.edit_round,
    cmd.OpenRoundNow: rounds.open_round_now,
    cmd.ScheduleRound: rounds.schedule_round,
    cmd.CloseRound: rounds.close_round,
    cmd.ExtendRound: rounds.extend_round,
    cmd.CancelRound: rounds.cancel_round,
    cmd.InviteLatecomers: rounds.invite_latecomers,
    cmd.ResendInvitation: rounds.resend_invitation,
    # respondents
    cmd.SaveAnswers: respond.save_answers,
    cmd.OptOut: respond.opt_out,
    cmd.ForwardInvitation: respond.forward,
    # mail
    cmd.RecordDeliveryOutcomes: deliveries.record_delivery_outcomes,
    cmd.QueueDueReminders: reminders.queue_due_reminders,
    cmd.SendReminderNow: reminders.send_reminder_now,
    # convenings
    cmd.CreateConvening: convenings.create_convening,
    cmd.SendConveningInvitations: convenings.send_invitations,
    cmd.RescheduleConvening: convenings.reschedule_convening,
    cmd.CancelConvening: convenings.cancel_convening,
    cmd.SetConveningCapacity: convenings.set_capacity,
    cmd.MarkConveningHeld: convenings.mark_held,
    cmd.AnswerRsvp: convenings.answer_rsvp,
    cmd.OptOutOfConvenings: convenings.opt_out,
    cmd.RecordAttendance: convenings.record_attendance,
    cmd.AddWalkIn: convenings.add_walk_in,
    cmd.RecordOutcomeNote: convenings.record_outcome_note,
    cmd.QueueConveningReminders: convenings.queue_convening_reminders,
    # designations
    cmd.RecomputeDesignations: designations.recompute_designations,
    cmd.OverrideDesignation: designations.override_designation,
    # pilot regions
    cmd.SelectPilotRegion: pilots.select_pilot_region,
    cmd.DropPilotRegion: pilots.drop_pilot_region,
    # round series
    cmd.CreateSeries: series.create_series,
    cmd.StartSeriesPeriod: series.start_series_period,
}

EVENT_HANDLERS: dict[type[ev.Event], list] = {
    # designations: recomputed in the same unit of work as the answer or the close
    # reminders: an answer cancels the person's reminders still waiting in the outbox
    ev.ResponseSubmitted: [designations.on_responses, reminders.cancel_moot_reminders],
    ev.ResponseAmended: [designations.on_responses],
    ev.RoundLaunched: [designations.on_round_launched],
    ev.LatecomersInvited: [designations.on_round_launched],
    ev.RoundClosed: [designations.on_round_closed],
}

_unused = cmd
