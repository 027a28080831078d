// SPDX-License-Identifier: MIT
/* Replies the routes and the gate build: JSON errors, bodies handed over from a strbuf. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web/web_internal.h"

int web_reply_error(struct web_reply *rp, unsigned status, const char *fmt, ...)
{
	struct profd_strbuf sb = {0};
	char *msg = NULL;
	va_list ap;
	int err;

	if (rp->kind == WEB_BODY_MALLOC)
		free(rp->body);
	memset(rp, 0, sizeof(*rp));
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	rp->status = status;
	rp->content_type = "application/json";
	err = msg ? profd_strbuf_puts(&sb, "{\"error\":") : -ENOMEM;
	err = err ?: web_json_str(&sb, msg);
	err = err ?: profd_strbuf_puts(&sb, "}\n");
	free(msg);
	if (err) {
		profd_strbuf_release(&sb);
		rp->body = (char *)"{\"error\":\"out of memory\"}\n";
		rp->len = strlen(rp->body);
		rp->kind = WEB_BODY_STATIC;
		rp->status = 500;
		return -EINVAL;
	}
	rp->body = profd_strbuf_detach(&sb, &rp->len);
	rp->kind = WEB_BODY_MALLOC;
	return -EINVAL;
}

int web_reply_strbuf(struct web_reply *rp, struct profd_strbuf *sb, const char *content_type)
{
	if (!sb->buf && profd_strbuf_reserve(sb, 1)) {
		web_reply_error(rp, 500, "out of memory");
		return -ENOMEM;
	}
	rp->status = 200;
	rp->content_type = content_type;
	rp->body = profd_strbuf_detach(sb, &rp->len);
	rp->kind = WEB_BODY_MALLOC;
	return 0;
}

void web_targets_free(struct web_target *t, size_t n)
{
	if (!t)
		return;
	for (size_t i = 0; i < n; i++) {
		free(t[i].comm);
		free(t[i].cgroup);
		free(t[i].container_id);
		free(t[i].systemd_unit);
	}
	free(t);
}
