/** How `agent-team ledger --follow` decides a run is over: the rule and its help text, light enough for `--help`. */

/** Looks without a new line, after a resumable `run-end`, before `--follow` asks the state whether the run is over. */
export const QUIET_POLLS_BEFORE_STATE_CHECK = 2;

/** How `--follow` decides a run is over; shown in `agent-team ledger --help`. */
export const FOLLOW_END_RULE = `
When --follow ends:
  A run-end event that says done or failed ends it: such a run is over.
  A run-end that says interrupted or budget_exceeded does not by itself: the run
  may be resumed (a run-resume event follows and the run goes on in the same
  ledger). Once the ledger has been quiet for ${QUIET_POLLS_BEFORE_STATE_CHECK} polls after such an event,
  --follow reads the state: if it still says that same run ended that way (no
  resume took it over), the run is over and --follow ends; otherwise it keeps
  following (and it always keeps following while a live process owns the run).
  A run whose owner died without a run-end (killed outright) ends it too, with a
  line saying so. Ctrl-C stops it at any time. Exit 0 in every case.
  Without --follow, a missing state file (no run yet) exits 4, as status does;
  --follow instead waits for a run to start.`;
