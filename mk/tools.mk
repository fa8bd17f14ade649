# Developer tools that are not Go modules, installed into .tools/ (git-ignored).
# Included by the Makefile. `make tools` is cheap to re-run: a stamp file
# named after the pinned version skips the install until the version changes
# or .tools/ is removed.
#
# squawk lints the PostgreSQL migrations (migrations/lint_test.go). Without it
# that test skips loudly; REQUIRE_SQUAWK=1 makes it fail instead (CI).

TOOLS_DIR      ?= .tools
SQUAWK_VERSION := 2.66.0
SQUAWK_BIN     := $(TOOLS_DIR)/node_modules/.bin/squawk
SQUAWK_STAMP   := $(TOOLS_DIR)/.squawk-cli-$(SQUAWK_VERSION).stamp

.PHONY: tools
tools: $(SQUAWK_STAMP)

# The binary was removed but the stamp survived: install again.
ifeq ($(wildcard $(SQUAWK_BIN)),)
.PHONY: $(SQUAWK_STAMP)
endif

$(SQUAWK_STAMP):
	@if command -v npm >/dev/null 2>&1; then \
		echo "installing squawk-cli@$(SQUAWK_VERSION) into $(TOOLS_DIR)/"; \
		npm install --no-save --no-audit --no-fund --prefix $(TOOLS_DIR) squawk-cli@$(SQUAWK_VERSION) && \
		test -x $(SQUAWK_BIN) && \
		rm -f $(TOOLS_DIR)/.squawk-cli-*.stamp && touch $@; \
	else \
		echo "*** npm not found: squawk NOT installed, the migration lint (migrations/lint_test.go) will be SKIPPED. Install Node.js/npm and run make tools. ***" >&2; \
	fi
