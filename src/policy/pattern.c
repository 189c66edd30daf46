/* pattern.c - a budgeted implementation of Lua 5.4 patterns (see pattern.h).
 *
 * Written from the reference manual's description (section 6.4.1): single
 * character classes (., %a %c %d %g %l %p %s %u %w %x and their upper-case
 * complements, %<punct> escapes, [sets] with ranges, classes and ^), the
 * quantifiers * + - ?, anchors ^ and $, captures and position captures,
 * back-references %1-%9, %bxy and the frontier %f[set]. Semantics follow the
 * stock library (including gsub's "no empty match right after a match" rule,
 * gmatch's init argument and '^' not anchoring gmatch) so policies behave the
 * same under busted.
 *
 * The matcher is a recursive backtracker, like any Lua pattern matcher; what
 * differs is that every step counts, and every POLICY_PATTERN_TICK_STEPS steps
 * the budget callback may raise. Recursion is capped at
 * POLICY_PATTERN_MAX_DEPTH ("pattern too complex"). Plain find (no special
 * characters, or the 4th argument true) uses memmem, linear in the subject.
 * The C locale is assumed for character classes.
 */
#include "policy/pattern.h"

#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include <lauxlib.h>

#define CAP_OPEN ((ptrdiff_t)-1)
#define CAP_POSITION ((ptrdiff_t)-2)
#define PATTERN_SPECIALS "^$*+?.([%-"

struct pm {
	lua_State *L;
	const struct policy_pattern_budget *budget;
	const char *src, *src_end;     /* subject */
	const char *pat_end;
	unsigned long steps;
	int depth;
	int ncap;
	struct {
		const char *at;
		ptrdiff_t len;         /* >= 0, CAP_OPEN or CAP_POSITION */
	} cap[POLICY_PATTERN_MAX_CAPTURES];
};

static void pm_tick(struct pm *m)
{
	if ((++m->steps & (POLICY_PATTERN_TICK_STEPS - 1)) == 0)
		m->budget->check(m->L);
}

static void pm_reset(struct pm *m)
{
	m->ncap = 0;
	m->depth = 0;
}

static int uc(char c)
{
	return (unsigned char)c;
}

/* p points at a single-character class; returns the byte after it. */
static const char *class_end(struct pm *m, const char *p)
{
	const char *end = m->pat_end;
	char c = *p++;

	if (c == '%') {
		if (p >= end)
			luaL_error(m->L, "malformed pattern (ends with '%%')");
		return p + 1;
	}
	if (c != '[')
		return p;
	if (p < end && *p == '^')
		p++;
	/* the first character of a set is literal even when it is ']' */
	for (;;) {
		if (p >= end)
			luaL_error(m->L, "malformed pattern (missing ']')");
		c = *p++;
		if (c == '%') {
			if (p >= end)
				luaL_error(m->L, "malformed pattern (missing ']')");
			p++;
		}
		if (p >= end)
			luaL_error(m->L, "malformed pattern (missing ']')");
		if (*p == ']')
			return p + 1;
	}
}

/* %x class letter cl against character c; non-letters match themselves. */
static int class_match(int c, int cl)
{
	int r;

	switch (tolower(cl)) {
	case 'a': r = isalpha(c); break;
	case 'c': r = iscntrl(c); break;
	case 'd': r = isdigit(c); break;
	case 'g': r = isgraph(c); break;
	case 'l': r = islower(c); break;
	case 'p': r = ispunct(c); break;
	case 's': r = isspace(c); break;
	case 'u': r = isupper(c); break;
	case 'w': r = isalnum(c); break;
	case 'x': r = isxdigit(c); break;
	case 'z': r = c == 0; break;   /* deprecated in the manual, still accepted */
	default: return cl == c;
	}
	if (isupper(cl))
		r = !r;
	return r != 0;
}

/* p points at '[', close at the matching ']'. */
static int set_match(int c, const char *p, const char *close)
{
	int negate = 0;

	p++;
	if (*p == '^') {
		negate = 1;
		p++;
	}
	while (p < close) {
		if (*p == '%') {
			if (class_match(c, uc(p[1])))
				return !negate;
			p += 2;
		} else if (p + 2 < close && p[1] == '-') {
			if (uc(p[0]) <= c && c <= uc(p[2]))
				return !negate;
			p += 3;
		} else {
			if (uc(*p) == c)
				return !negate;
			p++;
		}
	}
	return negate;
}

/* Does the class [p, ep) match the subject character at s? */
static int single_match(struct pm *m, const char *s, const char *p, const char *ep)
{
	int c;

	if (s >= m->src_end)
		return 0;
	c = uc(*s);
	switch (*p) {
	case '.': return 1;
	case '%': return class_match(c, uc(p[1]));
	case '[': return set_match(c, p, ep - 1);
	default: return uc(*p) == c;
	}
}

static const char *do_match(struct pm *m, const char *s, const char *p);

static const char *match_balance(struct pm *m, const char *s, const char *p)
{
	char open, close;
	int level = 1;

	if (p + 1 >= m->pat_end)
		luaL_error(m->L, "malformed pattern (missing arguments to '%%b')");
	open = p[0];
	close = p[1];
	if (s >= m->src_end || *s != open)
		return NULL;
	while (++s < m->src_end) {
		pm_tick(m);
		if (*s == close) {
			if (--level == 0)
				return s + 1;
		} else if (*s == open) {
			level++;
		}
	}
	return NULL;
}

static const char *match_backref(struct pm *m, const char *s, char digit)
{
	int i = digit - '1';
	size_t len;

	if (i < 0 || i >= m->ncap || m->cap[i].len == CAP_OPEN)
		luaL_error(m->L, "invalid capture index %%%d", i + 1);
	if (m->cap[i].len == CAP_POSITION)
		return NULL;
	len = (size_t)m->cap[i].len;
	if ((size_t)(m->src_end - s) >= len && memcmp(m->cap[i].at, s, len) == 0)
		return s + len;
	return NULL;
}

static const char *open_capture(struct pm *m, const char *s, const char *p, ptrdiff_t what)
{
	const char *r;

	if (m->ncap >= POLICY_PATTERN_MAX_CAPTURES)
		luaL_error(m->L, "too many captures");
	m->cap[m->ncap].at = s;
	m->cap[m->ncap].len = what;
	m->ncap++;
	r = do_match(m, s, p);
	if (!r)
		m->ncap--;
	return r;
}

static const char *close_capture(struct pm *m, const char *s, const char *p)
{
	const char *r;
	int i;

	for (i = m->ncap - 1; i >= 0; i--)
		if (m->cap[i].len == CAP_OPEN)
			break;
	if (i < 0)
		luaL_error(m->L, "invalid pattern capture");
	m->cap[i].len = s - m->cap[i].at;
	r = do_match(m, s, p);
	if (!r)
		m->cap[i].len = CAP_OPEN;
	return r;
}

/* Greedy: take as many as possible, then give back one at a time. */
static const char *max_expand(struct pm *m, const char *s, const char *p, const char *ep)
{
	ptrdiff_t n = 0;
	const char *r;

	while (single_match(m, s + n, p, ep)) {
		pm_tick(m);
		n++;
	}
	for (; n >= 0; n--) {
		if ((r = do_match(m, s + n, ep + 1)) != NULL)
			return r;
	}
	return NULL;
}

/* Lazy: try the rest first, take one more only when it fails. */
static const char *min_expand(struct pm *m, const char *s, const char *p, const char *ep)
{
	const char *r;

	for (;;) {
		if ((r = do_match(m, s, ep + 1)) != NULL)
			return r;
		if (!single_match(m, s, p, ep))
			return NULL;
		s++;
	}
}

/* Matches pattern [p, pat_end) at s; returns the end of the match or NULL. */
static const char *do_match(struct pm *m, const char *s, const char *p)
{
	const char *end = m->pat_end, *ep, *r = NULL;

	if (++m->depth > POLICY_PATTERN_MAX_DEPTH)
		luaL_error(m->L, "pattern too complex");
	for (;;) {
		pm_tick(m);
		if (p == end) {
			r = s;
			break;
		}
		if (*p == '(') {
			if (p + 1 < end && p[1] == ')')
				r = open_capture(m, s, p + 2, CAP_POSITION);
			else
				r = open_capture(m, s, p + 1, CAP_OPEN);
			break;
		}
		if (*p == ')') {
			r = close_capture(m, s, p + 1);
			break;
		}
		if (*p == '$' && p + 1 == end) {
			r = s == m->src_end ? s : NULL;
			break;
		}
		if (*p == '%' && p + 1 < end) {
			if (p[1] == 'b') {
				if ((s = match_balance(m, s, p + 2)) == NULL)
					break;
				p += 4;
				continue;
			}
			if (p[1] == 'f') {
				int prev, cur;

				p += 2;
				if (p >= end || *p != '[')
					luaL_error(m->L, "missing '[' after '%%f' in pattern");
				ep = class_end(m, p);
				prev = s == m->src ? 0 : uc(s[-1]);
				cur = s < m->src_end ? uc(*s) : 0;
				if (set_match(prev, p, ep - 1) || !set_match(cur, p, ep - 1))
					break;
				p = ep;
				continue;
			}
			if (isdigit(uc(p[1]))) {
				if ((s = match_backref(m, s, p[1])) == NULL)
					break;
				p += 2;
				continue;
			}
		}
		ep = class_end(m, p);
		{
			int ok = single_match(m, s, p, ep);
			char q = ep < end ? *ep : '\0';

			if (q == '?') {
				if (ok && (r = do_match(m, s + 1, ep + 1)) != NULL)
					break;
				p = ep + 1;
				continue;
			}
			if (q == '+') {
				r = ok ? max_expand(m, s + 1, p, ep) : NULL;
				break;
			}
			if (q == '*') {
				r = max_expand(m, s, p, ep);
				break;
			}
			if (q == '-') {
				r = min_expand(m, s, p, ep);
				break;
			}
			if (!ok)
				break;
			s++;
			p = ep;
		}
	}
	m->depth--;
	return r;
}

static void push_capture(struct pm *m, int i, const char *s, const char *e)
{
	if (i >= m->ncap) {
		if (i != 0)
			luaL_error(m->L, "invalid capture index %%%d", i + 1);
		lua_pushlstring(m->L, s, (size_t)(e - s));
		return;
	}
	if (m->cap[i].len == CAP_OPEN)
		luaL_error(m->L, "unfinished capture");
	if (m->cap[i].len == CAP_POSITION)
		lua_pushinteger(m->L, (lua_Integer)(m->cap[i].at - m->src) + 1);
	else
		lua_pushlstring(m->L, m->cap[i].at, (size_t)m->cap[i].len);
}

/* Pushes all captures, or the whole match [s, e) when there are none and s
 * is given; returns how many values were pushed. */
static int push_captures(struct pm *m, const char *s, const char *e)
{
	int i, n = (m->ncap == 0 && s) ? 1 : m->ncap;

	luaL_checkstack(m->L, n, "too many captures");
	for (i = 0; i < n; i++)
		push_capture(m, i, s, e);
	return n;
}

static void pm_init(struct pm *m, lua_State *L, const char *s, size_t ls, const char *p,
		    size_t lp)
{
	m->L = L;
	m->budget = lua_touserdata(L, lua_upvalueindex(1));
	m->src = s;
	m->src_end = s + ls;
	m->pat_end = p + lp;
	m->steps = 0;
	pm_reset(m);
}

/* A 1-based, possibly negative start position -> offset in [0, len]; a
 * position past the end gives len + 1 (caller reports no match). */
static size_t start_offset(lua_Integer pos, size_t len)
{
	if (pos > 0)
		return (size_t)pos > len + 1 ? len + 1 : (size_t)pos - 1;
	if (pos == 0 || (size_t)(-(pos + 1)) >= len)
		return 0;
	return len + (size_t)pos;
}

static int find_or_match(lua_State *L, int find)
{
	size_t ls, lp, init;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	const char *s1, *e;
	struct pm m;
	int anchor;

	init = start_offset(luaL_optinteger(L, 3, 1), ls);
	if (init > ls) {
		luaL_pushfail(L);
		return 1;
	}
	if (find && (lua_toboolean(L, 4) || strpbrk(p, PATTERN_SPECIALS) == NULL) &&
	    (lua_toboolean(L, 4) || strlen(p) == lp)) {
		const char *hit = memmem(s + init, ls - init, p, lp);

		if (!hit) {
			luaL_pushfail(L);
			return 1;
		}
		lua_pushinteger(L, (lua_Integer)(hit - s) + 1);
		lua_pushinteger(L, (lua_Integer)(hit - s) + (lua_Integer)lp);
		return 2;
	}
	anchor = lp > 0 && *p == '^';
	if (anchor) {
		p++;
		lp--;
	}
	pm_init(&m, L, s, ls, p, lp);
	s1 = s + init;
	for (;;) {
		pm_reset(&m);
		if ((e = do_match(&m, s1, p)) != NULL) {
			if (!find)
				return push_captures(&m, s1, e);
			lua_pushinteger(L, (lua_Integer)(s1 - s) + 1);
			lua_pushinteger(L, (lua_Integer)(e - s));
			return 2 + push_captures(&m, NULL, NULL);
		}
		if (anchor || s1 >= m.src_end)
			break;
		s1++;
		pm_tick(&m);
	}
	luaL_pushfail(L);
	return 1;
}

static int pattern_find(lua_State *L)
{
	return find_or_match(L, 1);
}

static int pattern_match(lua_State *L)
{
	return find_or_match(L, 0);
}

/* gmatch iterator; upvalues: budget, subject, pattern, next offset, offset
 * of the end of the last match (-1 for none). */
static int gmatch_next(lua_State *L)
{
	size_t ls, lp, pos;
	const char *s = lua_tolstring(L, lua_upvalueindex(2), &ls);
	const char *p = lua_tolstring(L, lua_upvalueindex(3), &lp);
	lua_Integer last = lua_tointeger(L, lua_upvalueindex(5));
	struct pm m;

	pm_init(&m, L, s, ls, p, lp);
	for (pos = (size_t)lua_tointeger(L, lua_upvalueindex(4)); pos <= ls; pos++) {
		const char *e;

		pm_reset(&m);
		e = do_match(&m, s + pos, p);
		if (e && (lua_Integer)(e - s) != last) {
			lua_pushinteger(L, (lua_Integer)(e - s));
			lua_pushvalue(L, -1);
			lua_replace(L, lua_upvalueindex(4));
			lua_replace(L, lua_upvalueindex(5));
			return push_captures(&m, s + pos, e);
		}
		pm_tick(&m);
	}
	lua_pushinteger(L, (lua_Integer)ls + 1);
	lua_replace(L, lua_upvalueindex(4));
	return 0;
}

static int pattern_gmatch(lua_State *L)
{
	size_t ls, init;

	luaL_checklstring(L, 1, &ls);
	luaL_checkstring(L, 2);
	init = start_offset(luaL_optinteger(L, 3, 1), ls);
	lua_settop(L, 2);
	lua_pushvalue(L, lua_upvalueindex(1));
	lua_insert(L, 1);
	lua_pushinteger(L, (lua_Integer)init);
	lua_pushinteger(L, -1);
	lua_pushcclosure(L, gmatch_next, 5);
	return 1;
}

/* Appends the replacement for the match [s, e) to b. */
static void add_replacement(struct pm *m, luaL_Buffer *b, const char *s, const char *e, int tr)
{
	lua_State *L = m->L;

	if (tr == LUA_TSTRING || tr == LUA_TNUMBER) {
		size_t lr, i;
		const char *r = lua_tolstring(L, 3, &lr);

		for (i = 0; i < lr; i++) {
			pm_tick(m);
			if (r[i] != '%') {
				luaL_addchar(b, r[i]);
				continue;
			}
			i++;
			if (i < lr && r[i] == '%') {
				luaL_addchar(b, '%');
			} else if (i < lr && isdigit(uc(r[i]))) {
				if (r[i] == '0')
					luaL_addlstring(b, s, (size_t)(e - s));
				else {
					push_capture(m, r[i] - '1', s, e);
					luaL_tolstring(L, -1, NULL);
					lua_remove(L, -2);
					luaL_addvalue(b);
				}
			} else {
				luaL_error(L, "invalid use of '%%' in replacement string");
			}
		}
		return;
	}
	if (tr == LUA_TTABLE) {
		push_capture(m, 0, s, e);
		lua_gettable(L, 3);
	} else {
		int n;

		lua_pushvalue(L, 3);
		n = push_captures(m, s, e);
		lua_call(L, n, 1);
	}
	if (!lua_toboolean(L, -1)) {
		lua_pop(L, 1);
		luaL_addlstring(b, s, (size_t)(e - s));
	} else if (!lua_isstring(L, -1)) {
		luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
	} else {
		luaL_addvalue(b);
	}
}

static int pattern_gsub(lua_State *L)
{
	size_t ls, lp;
	const char *s = luaL_checklstring(L, 1, &ls);
	const char *p = luaL_checklstring(L, 2, &lp);
	const char *src = s, *last = NULL, *e;
	int tr = lua_type(L, 3), anchor;
	lua_Integer max_n = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
	struct pm m;
	luaL_Buffer b;

	luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION ||
			 tr == LUA_TTABLE, 3, "string/function/table");
	anchor = lp > 0 && *p == '^';
	if (anchor) {
		p++;
		lp--;
	}
	pm_init(&m, L, s, ls, p, lp);
	luaL_buffinit(L, &b);
	while (n < max_n) {
		pm_reset(&m);
		e = do_match(&m, src, p);
		if (e && e != last) {
			n++;
			add_replacement(&m, &b, src, e, tr);
			src = last = e;
		} else if (src < m.src_end) {
			luaL_addchar(&b, *src++);
		} else {
			break;
		}
		if (anchor)
			break;
		pm_tick(&m);
	}
	luaL_addlstring(&b, src, (size_t)(m.src_end - src));
	luaL_pushresult(&b);
	lua_pushinteger(L, n);
	return 2;
}

void policy_pattern_open(lua_State *L, int lib_idx, const struct policy_pattern_budget *budget)
{
	static const struct {
		const char *name;
		lua_CFunction fn;
	} fns[] = {
		{ "find", pattern_find },
		{ "match", pattern_match },
		{ "gmatch", pattern_gmatch },
		{ "gsub", pattern_gsub },
	};
	size_t i;

	lib_idx = lua_absindex(L, lib_idx);
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		lua_pushlightuserdata(L, (void *)budget);
		lua_pushcclosure(L, fns[i].fn, 1);
		lua_setfield(L, lib_idx, fns[i].name);
	}
}
