# Copyright: (c) 2026, datamig developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The outcomes of a site's run, as the upgrade report, the journal's finish record and
the fleet report name them (one spelling for all)."""

UPGRADED = "upgraded"
ALREADY_AT_VERSION = "already at version"
REHEARSED = "rehearsed"
ROLLED_BACK = "rolled back"
REHEARSAL_FAILED = "rehearsal failed"
FAILED_BEFORE_CHANGE = "failed before any change"
ROLLBACK_FAILED = "rollback failed"
REFUSED = "refused"
NOT_REACHED = "not reached"  # in the fleet report: a site its run never reached
FAILED = "failed"  # in the fleet report: a site whose report names no outcome
# a run cut off and ended by the next run's recovery
RECOVERED_UPGRADED = "upgraded (finished by recovery)"
RECOVERED_ROLLED_BACK = "rolled back by recovery"
RECOVERED_UNCHANGED = "cut off before any change"

# outcomes after which the site runs the target version (the finish record is "done")
SUCCEEDED = (UPGRADED, ALREADY_AT_VERSION, REHEARSED, RECOVERED_UPGRADED)
# outcomes whose run switched the site to a new release
SWITCHED = (UPGRADED, RECOVERED_UPGRADED)


def finish_status(outcome):
    """The status of the journal's finish record for a run that ended with outcome."""
    return "done" if outcome in SUCCEEDED else "failed"


def failed_outcome(rehearsal, changed):
    """The outcome of a run that failed: in a rehearsal, after the site was changed, before."""
    if rehearsal:
        return REHEARSAL_FAILED
    return ROLLED_BACK if changed else FAILED_BEFORE_CHANGE
