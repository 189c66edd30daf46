/* idle.c - the pure parts of idle shutdown and its schedule (see idle.h).
 *
 * The schedule is a chained hash table keyed by "ns/name" (core/hash.h), grown by
 * doubling; an entry is a few dozen bytes, so a cluster of 10,000 DevServers
 * with idle timeouts costs well under a megabyte.
 */
#include "operator/idle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/duration.h"
#include "core/hash.h"
#include "core/mem.h"

#define IDLE_LINE_MARKER "devserver-activity "

static int idle_field(const struct json *obj, const char *where, int64_t *secs, bool *present,
		      struct error *err)
{
	const char *text = json_get_string(json_path(obj, "spec", "lifecycle", NULL), "idleTimeout");

	*present = false;
	if (!text || !*text)
		return 0;
	if (duration_parse(text, secs) < 0 || *secs <= 0)
		return error_set(err, ERR_INVALID, "%s.spec.lifecycle.idleTimeout: invalid duration \"%s\"",
				 where, text);
	*present = true;
	return 0;
}

int idle_timeout(const struct json *ds, const struct json *flavor, int64_t *secs, bool *enabled,
		 struct error *err)
{
	int rc = idle_field(ds, "DevServer", secs, enabled, err);

	if (rc == 0 && !*enabled && flavor)
		rc = idle_field(flavor, "DevServerFlavor", secs, enabled, err);
	return rc;
}

void idle_parse_log(const char *text, size_t len, struct idle_reading *out)
{
	size_t end = len;

	out->state = IDLE_UNKNOWN;
	out->at = 0;
	/* walk the lines backwards: the last activity line wins */
	while (end > 0) {
		size_t start = end;
		char stamp[40], rest[64];
		const char *sp, *state;
		size_t n, slen;
		int64_t at;

		while (start > 0 && text[start - 1] != '\n')
			start--;
		n = end - start;
		if (n && text[start + n - 1] == '\n')
			n--;
		sp = memchr(text + start, ' ', n);
		end = start > 0 ? start - 1 : 0;
		if (!sp || (size_t)(sp - (text + start)) >= sizeof(stamp))
			continue;
		slen = (size_t)(sp - (text + start));
		memcpy(stamp, text + start, slen);
		stamp[slen] = '\0';
		n -= slen + 1;
		if (n < strlen(IDLE_LINE_MARKER) || memcmp(sp + 1, IDLE_LINE_MARKER, strlen(IDLE_LINE_MARKER)) != 0)
			continue;
		if (clock_parse_rfc3339(stamp, &at) < 0)
			continue;
		state = sp + 1 + strlen(IDLE_LINE_MARKER);
		n -= strlen(IDLE_LINE_MARKER);
		snprintf(rest, sizeof(rest), "%.*s", (int)(n < sizeof(rest) ? n : sizeof(rest) - 1), state);
		if (strcmp(rest, "idle") == 0)
			out->state = IDLE_IDLE;
		else if (strncmp(rest, "active", 6) == 0 && (rest[6] == '\0' || rest[6] == ' '))
			out->state = IDLE_ACTIVE;
		else
			out->state = IDLE_UNKNOWN;
		out->at = at;
		return;
	}
}

void idle_decide(const struct idle_reading *r, int64_t timeout, int64_t now, struct idle_decision *d)
{
	int64_t recheck = timeout / 4 > IDLE_RECHECK_MIN_S ? timeout / 4 : IDLE_RECHECK_MIN_S;

	d->stop = false;
	d->last_activity = 0;
	switch (r->state) {
	case IDLE_ACTIVE:
		/* in use right now: it cannot be idle for the timeout sooner than that */
		d->last_activity = now;
		d->next_check = now + timeout;
		break;
	case IDLE_IDLE:
		d->last_activity = r->at;
		if (now - r->at >= timeout)
			d->stop = true;
		d->next_check = r->at + timeout > now ? r->at + timeout : now + recheck;
		break;
	case IDLE_UNKNOWN:
	default:
		d->next_check = now + (recheck < timeout ? recheck : timeout);
		break;
	}
}

/* --- the schedule ------------------------------------------------------------ */

struct idle_node {
	struct idle_node *next;
	struct idle_entry e;
	char key[];
};

struct idle_tracker {
	struct idle_node **buckets;
	size_t nbuckets, count;
};

struct idle_tracker *idle_tracker_new(void)
{
	struct idle_tracker *t = mem_calloc(1, sizeof(*t));

	t->nbuckets = 64;
	t->buckets = mem_calloc(t->nbuckets, sizeof(*t->buckets));
	return t;
}

void idle_tracker_free(struct idle_tracker *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct idle_node *n = t->buckets[i];

		while (n) {
			struct idle_node *next = n->next;

			free(n);
			n = next;
		}
	}
	free(t->buckets);
	free(t);
}

static void idle_tracker_grow(struct idle_tracker *t)
{
	size_t nb = t->nbuckets * 2;
	struct idle_node **b = mem_calloc(nb, sizeof(*b));

	for (size_t i = 0; i < t->nbuckets; i++) {
		struct idle_node *n = t->buckets[i];

		while (n) {
			struct idle_node *next = n->next;
			size_t k = hash_fnv1a64_str(n->key) & (nb - 1);

			n->next = b[k];
			b[k] = n;
			n = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

struct idle_entry *idle_tracker_get(struct idle_tracker *t, const char *key, bool create)
{
	size_t k = hash_fnv1a64_str(key) & (t->nbuckets - 1), len;
	struct idle_node *n;

	for (n = t->buckets[k]; n; n = n->next)
		if (strcmp(n->key, key) == 0)
			return &n->e;
	if (!create || t->count >= IDLE_TRACKER_MAX_ENTRIES)
		return NULL;
	if (t->count >= t->nbuckets) {
		idle_tracker_grow(t);
		k = hash_fnv1a64_str(key) & (t->nbuckets - 1);
	}
	len = strlen(key);
	n = mem_calloc(1, sizeof(*n) + len + 1);
	memcpy(n->key, key, len + 1);
	n->next = t->buckets[k];
	t->buckets[k] = n;
	t->count++;
	return &n->e;
}

void idle_tracker_forget(struct idle_tracker *t, const char *key)
{
	struct idle_node **pp = &t->buckets[hash_fnv1a64_str(key) & (t->nbuckets - 1)];

	for (; *pp; pp = &(*pp)->next) {
		if (strcmp((*pp)->key, key) == 0) {
			struct idle_node *dead = *pp;

			*pp = dead->next;
			free(dead);
			t->count--;
			return;
		}
	}
}

size_t idle_tracker_count(const struct idle_tracker *t)
{
	return t ? t->count : 0;
}
