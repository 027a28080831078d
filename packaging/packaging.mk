# Installing and packaging. Included from the top Makefile.
#
#   make install [PREFIX=/usr/local] [DESTDIR=DIR]   binary, man pages, bash completion, unit
#   make uninstall [PREFIX=/usr/local] [DESTDIR=DIR]
#   make deb                                         $(DEB), built with dpkg-deb
#
# The agent's unit runs as the system user `profd`, which the .deb creates; after a plain
# `make install`, create it yourself (README.md, "Install").

PREFIX        ?= /usr/local
BINDIR        ?= $(PREFIX)/bin
MANDIR        ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR       ?= $(PREFIX)/lib/systemd/system

MAN_PAGES := $(wildcard man/*.1)
UNIT      := contrib/profd-agent.service

.PHONY: install uninstall deb

install: profd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 profd $(DESTDIR)$(BINDIR)/profd
	for page in $(MAN_PAGES); do \
		sed 's/@VERSION@/$(VERSION)/' $$page >$(DESTDIR)$(MANDIR)/man1/$${page##*/} && \
		chmod 0644 $(DESTDIR)$(MANDIR)/man1/$${page##*/} || exit 1; \
	done
	install -m 0644 contrib/profd.bash $(DESTDIR)$(COMPLETIONDIR)/profd
	@# The unit names the binary by its installed path.
	sed 's|^ExecStart=/usr/bin/profd |ExecStart=$(BINDIR)/profd |' $(UNIT) \
		>$(DESTDIR)$(UNITDIR)/profd-agent.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/profd-agent.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/profd $(DESTDIR)$(COMPLETIONDIR)/profd \
		$(DESTDIR)$(UNITDIR)/profd-agent.service \
		$(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN_PAGES)))

# --- .deb: `make install` into a staging tree, then dpkg-deb ---
DEB_ARCH    = $(shell dpkg --print-architecture)
DEB         = $(BUILD)/profd_$(VERSION)_$(DEB_ARCH).deb
DEB_STAGE   = $(BUILD)/deb
# Debian 12 keeps system units in /lib/systemd/system; systemd's pkg-config file says where.
DEB_UNITDIR = $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null), \
              /lib/systemd/system)

deb: profd
	@command -v dpkg-deb >/dev/null || { echo "profd: make deb needs dpkg-deb (dpkg)" >&2; exit 1; }
	rm -rf $(DEB_STAGE)
	$(MAKE) -s install DESTDIR=$(abspath $(DEB_STAGE))/debian/profd PREFIX=/usr UNITDIR=$(DEB_UNITDIR)
	sh packaging/build-deb.sh $(DEB_STAGE) $(VERSION) $(DEB_ARCH) $(DEB)
