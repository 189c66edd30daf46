/* selector.c - label selector parser and matcher (see selector.h).
 *
 * A hand-written scanner over the grammar of
 * k8s.io/apimachinery/pkg/labels (read for the operators only): tokens are
 * identifiers, '=', '==', '!=', '!', '(', ')', ',', and the words in/notin.
 * Key and value characters follow label syntax loosely ([A-Za-z0-9._/-]);
 * the API server validates them properly, the cache only needs to match.
 * Set-based gt/lt are rejected: nothing we run uses them.
 */
#include "kube/selector.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

struct sel_scan {
	const char *s;
	size_t i;
	struct error *err;
};

static bool sel_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '/' || c == '-';
}

static void sel_skip_ws(struct sel_scan *sc)
{
	while (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t')
		sc->i++;
}

/* A heap identifier (may be empty when allow_empty) or NULL. */
static char *sel_ident(struct sel_scan *sc, bool allow_empty)
{
	size_t start;

	sel_skip_ws(sc);
	start = sc->i;
	while (sel_ident_char(sc->s[sc->i]))
		sc->i++;
	if (sc->i == start && !allow_empty) {
		error_set(sc->err, ERR_INVALID, "selector: expected a name at offset %zu", start);
		return NULL;
	}
	return mem_strndup(sc->s + start, sc->i - start);
}

static bool sel_word(struct sel_scan *sc, const char *w)
{
	size_t n = strlen(w);

	sel_skip_ws(sc);
	if (strncmp(sc->s + sc->i, w, n) == 0 && !sel_ident_char(sc->s[sc->i + n])) {
		sc->i += n;
		return true;
	}
	return false;
}

static void sel_req_free(struct selector_req *r)
{
	free(r->key);
	for (size_t i = 0; i < r->nvalues; i++)
		free(r->values[i]);
	free(r->values);
	memset(r, 0, sizeof(*r));
}

static int sel_add_value(struct selector_req *r, char *v, struct sel_scan *sc)
{
	if (r->nvalues >= SELECTOR_MAX_VALUES) {
		free(v);
		return error_set(sc->err, ERR_INVALID, "selector: more than %d values", SELECTOR_MAX_VALUES);
	}
	r->values = mem_realloc(r->values, (r->nvalues + 1) * sizeof(char *));
	r->values[r->nvalues++] = v;
	return 0;
}

static int sel_parse_req(struct sel_scan *sc, struct selector_req *r)
{
	char *v;

	sel_skip_ws(sc);
	if (sc->s[sc->i] == '!') {
		sc->i++;
		r->op = SELECTOR_NOT_EXISTS;
		return (r->key = sel_ident(sc, false)) ? 0 : ERR_INVALID;
	}
	if (!(r->key = sel_ident(sc, false)))
		return ERR_INVALID;
	sel_skip_ws(sc);
	if (sc->s[sc->i] == ',' || sc->s[sc->i] == '\0') {
		r->op = SELECTOR_EXISTS;
		return 0;
	}
	if (sc->s[sc->i] == '=' || (sc->s[sc->i] == '!' && sc->s[sc->i + 1] == '=')) {
		r->op = sc->s[sc->i] == '=' ? SELECTOR_EQ : SELECTOR_NE;
		sc->i += sc->s[sc->i] == '!' ? 2 : (sc->s[sc->i + 1] == '=' ? 2 : 1);
		v = sel_ident(sc, true);
		return sel_add_value(r, v, sc);
	}
	if (sel_word(sc, "in"))
		r->op = SELECTOR_IN;
	else if (sel_word(sc, "notin"))
		r->op = SELECTOR_NOTIN;
	else
		return error_set(sc->err, ERR_INVALID, "selector: unexpected '%c' at offset %zu", sc->s[sc->i],
				 sc->i);
	sel_skip_ws(sc);
	if (sc->s[sc->i] != '(')
		return error_set(sc->err, ERR_INVALID, "selector: expected '(' at offset %zu", sc->i);
	sc->i++;
	for (;;) {
		if (sel_add_value(r, sel_ident(sc, true), sc) < 0)
			return ERR_INVALID;
		sel_skip_ws(sc);
		if (sc->s[sc->i] == ',') {
			sc->i++;
			continue;
		}
		if (sc->s[sc->i] == ')') {
			sc->i++;
			return 0;
		}
		return error_set(sc->err, ERR_INVALID, "selector: expected ',' or ')' at offset %zu", sc->i);
	}
}

int selector_parse(struct selector *s, const char *text, struct error *err)
{
	struct sel_scan sc = {text ? text : "", 0, err};

	s->reqs = NULL;
	s->n = 0;
	if (strlen(sc.s) > SELECTOR_MAX_BYTES)
		return error_set(err, ERR_INVALID, "selector longer than %d bytes", SELECTOR_MAX_BYTES);
	sel_skip_ws(&sc);
	if (!sc.s[sc.i])
		return 0;
	for (;;) {
		struct selector_req r = {0};

		if (s->n >= SELECTOR_MAX_REQUIREMENTS) {
			error_set(err, ERR_INVALID, "selector has more than %d requirements", SELECTOR_MAX_REQUIREMENTS);
			goto fail;
		}
		if (sel_parse_req(&sc, &r) < 0) {
			sel_req_free(&r);
			goto fail;
		}
		s->reqs = mem_realloc(s->reqs, (s->n + 1) * sizeof(*s->reqs));
		s->reqs[s->n++] = r;
		sel_skip_ws(&sc);
		if (sc.s[sc.i] == '\0')
			return 0;
		if (sc.s[sc.i] != ',') {
			error_set(err, ERR_INVALID, "selector: expected ',' at offset %zu", sc.i);
			goto fail;
		}
		sc.i++;
	}
fail:
	selector_cleanup(s);
	return ERR_INVALID;
}

void selector_cleanup(struct selector *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		sel_req_free(&s->reqs[i]);
	free(s->reqs);
	s->reqs = NULL;
	s->n = 0;
}

static bool sel_in(const struct selector_req *r, const char *v)
{
	for (size_t i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i], v) == 0)
			return true;
	return false;
}

bool selector_matches_labels(const struct selector *s, const struct json *labels)
{
	for (size_t i = 0; i < s->n; i++) {
		const struct selector_req *r = &s->reqs[i];
		const struct json *lv = labels ? json_get(labels, r->key) : NULL;
		const char *v = lv && lv->type == JSON_STRING ? lv->u.str.ptr : NULL;
		bool ok;

		switch (r->op) {
		case SELECTOR_EQ: ok = v && strcmp(v, r->values[0]) == 0; break;
		case SELECTOR_NE: ok = !v || strcmp(v, r->values[0]) != 0; break;
		case SELECTOR_IN: ok = v && sel_in(r, v); break;
		case SELECTOR_NOTIN: ok = !v || !sel_in(r, v); break;
		case SELECTOR_EXISTS: ok = v != NULL; break;
		default: ok = v == NULL; break;
		}
		if (!ok)
			return false;
	}
	return true;
}

bool selector_matches(const struct selector *s, const struct json *obj)
{
	return selector_matches_labels(s, json_path(obj, "metadata", "labels", NULL));
}
