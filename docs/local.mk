# SPDX-License-Identifier: BSD-2-Clause
dist_man_MANS += docs/ptfreeze.7
EXTRA_DIST += docs/report-format.md docs/design.md docs/reliability.md docs/fleet.md
