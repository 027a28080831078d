// SPDX-License-Identifier: MIT
/*
 * Names people read. A demangled C++ name is a whole declaration, return type and parameters
 * included: "void std::vector<int, std::allocator<int> >::_M_realloc_insert<int>(
 * __gnu_cxx::__normal_iterator<int*, std::vector<int, std::allocator<int> > >, int&&)" for one
 * frame. perf shows what `c++filt -p` prints, the qualified name alone; so do we, and cap what
 * remains so that one frame cannot fill a flame graph.
 *
 * One scan with brackets counted: the parameter list is the last top-level "(...)" that follows
 * a name and is followed only by qualifiers (" const", " &&", " [clone .cold]"); the return type
 * ends at the last top-level space before it. "(anonymous namespace)", "{lambda(int)#1}" and
 * template arguments are brackets like any other, and an operator's own name ("operator()",
 * "operator<<", "operator bool") is skipped whole, so its symbols never count as brackets.
 * A name that does not parse as such a declaration (C, Rust, Go, JIT names) is left as it is.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/strbuf.h"
#include "formats/formats.h"

#define NONE SIZE_MAX

/* Longest first, so "operator<<=" is not read as "operator<" followed by "<=". */
static const char *const operator_symbols[] = {
	"->*", "<<=", ">>=", "<=>", "()", "[]", "->", "<<", ">>", "<=", ">=", "==", "!=",
	"&&",  "||",  "++",  "--",  "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "+",
	"-",   "*",   "/",   "%",   "&",  "|",  "^",  "~",  "!",  "=",  "<",  ">",  ",",
};

/* Special names the demangler spells with their parameters even without them (c++filt -p). */
static const char *const special_prefixes[] = {
	"non-virtual thunk to ",    "virtual thunk to ",	"covariant return thunk to ",
	"transaction clone for ", "construction vtable for ",
};

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool opens(char c)
{
	return c == '<' || c == '(' || c == '[' || c == '{';
}

static bool closes(char c)
{
	return c == '>' || c == ')' || c == ']' || c == '}';
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t len = strlen(prefix);

	return n >= len && !memcmp(s, prefix, len);
}

/* Whether the keyword "operator" starts at s[i]. */
static bool operator_at(const char *s, size_t n, size_t i)
{
	return starts_with(s + i, n - i, "operator") && (i == 0 || !ident_char(s[i - 1])) &&
	       (i + 8 == n || !ident_char(s[i + 8]));
}

/* The end of the operator's name that starts at s[i] ("operator<<", "operator char const*"). */
static size_t skip_operator(const char *s, size_t n, size_t i)
{
	size_t j = i + 8;
	int depth = 0;

	for (size_t k = 0; k < sizeof(operator_symbols) / sizeof(operator_symbols[0]); k++) {
		if (!starts_with(s + j, n - j, operator_symbols[k]))
			continue;
		j += strlen(operator_symbols[k]);
		/* "operator< <int>": the space keeps the template's '<' apart from the name. */
		if (j + 1 < n && s[j] == ' ' && s[j + 1] == '<')
			j++;
		return j;
	}
	/* A word: a conversion, new, delete or a literal (operator"" _x), up to its parameters. */
	for (; j < n; j++) {
		char c = s[j];

		if (depth == 0 && (c == '(' || c == ',' || closes(c)))
			break;
		if (opens(c))
			depth++;
		else if (closes(c))
			depth--;
	}
	return j;
}

/* Whether s[0..n) is nothing but the qualifiers that may follow a parameter list. */
static bool only_qualifiers(const char *s, size_t n)
{
	static const char *const quals[] = {" const", " volatile", " restrict", " &&", " &",
					    " noexcept", " transaction_safe"};
	size_t i = 0;

	while (i < n) {
		size_t k, len = 0;

		if (starts_with(s + i, n - i, " [clone ")) {
			const char *end = memchr(s + i, ']', n - i);

			if (!end)
				return false;
			i = (size_t)(end - s) + 1;
			continue;
		}
		for (k = 0; k < sizeof(quals) / sizeof(quals[0]) && !len; k++) {
			size_t l = strlen(quals[k]);

			if (starts_with(s + i, n - i, quals[k]) && (i + l == n || s[i + l] == ' '))
				len = l;
		}
		if (!len)
			return false;
		i += len;
	}
	return true;
}

/*
 * The qualified name inside the C++ declaration s[0..n): [*start, *end). Returns false when s is
 * not a declaration with a parameter list.
 */
static bool find_name(const char *s, size_t n, size_t *start, size_t *end)
{
	size_t space = NONE, ret_space = NONE, params = NONE, close = NONE;
	int depth = 0;

	for (size_t i = 0; i < n;) {
		char c = s[i];

		if (operator_at(s, n, i)) {
			i = skip_operator(s, n, i);
			continue;
		}
		/* After a name: parameters. After a space, "::" or nothing: part of the name. */
		if (c == '(' && depth == 0 && i > 0 && s[i - 1] != ' ' && s[i - 1] != ':') {
			params = i;
			close = NONE;
			ret_space = space;
		}
		if (opens(c)) {
			depth++;
		} else if (closes(c)) {
			if (--depth < 0)
				return false;
			if (depth == 0 && c == ')' && params != NONE && close == NONE)
				close = i;
		} else if (c == ' ' && depth == 0) {
			space = i;
		}
		i++;
	}
	if (depth || params == NONE || close == NONE ||
	    !only_qualifiers(s + close + 1, n - close - 1))
		return false;
	*start = ret_space == NONE ? 0 : ret_space + 1;
	*end = params;
	return *end > *start;
}

/* One shortening of the declaration name[0..n) to [*start, *end); false if it is none. */
static bool shorten_once(const char *name, size_t n, size_t *start, size_t *end)
{
	size_t a, b;

	if (!memchr(name, '(', n) || !find_name(name, n, &a, &b))
		return false;
	/* A function returning a function pointer: "int (*f<int>())()" names f<int>. */
	while (b - a > 3 && name[a] == '(' && (name[a + 1] == '*' || name[a + 1] == '&') &&
	       name[b - 1] == ')') {
		size_t skip = name[a + 2] == '&' ? 3 : 2, ia, ib;

		if (!find_name(name + a + skip, b - 1 - a - skip, &ia, &ib))
			break;
		ib += a + skip;
		a += skip + ia;
		b = ib;
	}
	*start = a;
	*end = b;
	return true;
}

/*
 * The part of name[0..n) people read: a substring of it. Shortened until it holds, so that a
 * short name is its own short name and profd's output reads back unchanged (a malformed
 * "f(int)(x)" loses one parameter list per pass; found by fuzz_folded).
 */
static void short_range(const char *name, size_t n, size_t *start, size_t *end)
{
	size_t a, b;

	*start = 0;
	*end = n;
	for (size_t k = 0; k < sizeof(special_prefixes) / sizeof(special_prefixes[0]); k++)
		if (starts_with(name, n, special_prefixes[k]))
			return;
	while (shorten_once(name + *start, *end - *start, &a, &b) && b - a < *end - *start) {
		*end = *start + b;
		*start += a;
	}
}

/* The end of the template argument list that opens at s[i] (n if it never closes). */
static size_t list_end(const char *s, size_t n, size_t i)
{
	int inner = 1;

	for (i++; i < n && inner;) {
		if (operator_at(s, n, i)) {
			i = skip_operator(s, n, i);
			continue;
		}
		inner += (s[i] == '<') - (s[i] == '>');
		i++;
	}
	return i;
}

/*
 * Writes s[0..n) with every template argument list that opens at angle depth d written "<...>"
 * (d 0: none) to sb, or only counts the bytes when sb is NULL. Lists no longer than "<...>" stay,
 * so the result only shrinks as d does. Returns the bytes, or NONE when sb ran out of memory.
 */
static size_t collapse(const char *s, size_t n, int d, struct profd_strbuf *sb)
{
	size_t len = 0, i = 0;
	int depth = 0;

	while (i < n) {
		size_t j = i + 1, end;

		if (operator_at(s, n, i)) {
			j = skip_operator(s, n, i);
		} else if (s[i] == '<' && ++depth == d && (end = list_end(s, n, i)) - i > 5) {
			depth--;
			len += 5;
			if (sb && profd_strbuf_puts(sb, "<...>"))
				return NONE;
			i = end;
			continue;
		} else if (s[i] == '>' && depth > 0) {
			depth--;
		}
		len += j - i;
		if (sb && profd_strbuf_append(sb, s + i, j - i))
			return NONE;
		i = j;
	}
	return len;
}

static int max_depth(const char *s, size_t n)
{
	int depth = 0, most = 0;

	for (size_t i = 0; i < n;) {
		if (operator_at(s, n, i)) {
			i = skip_operator(s, n, i);
			continue;
		}
		if (s[i] == '<' && ++depth > most)
			most = depth;
		else if (s[i] == '>' && depth > 0)
			depth--;
		i++;
	}
	return most;
}

/* s[0..n) cut to FMT_NAME_MAX bytes in the middle, at UTF-8 character boundaries. */
static int cut_middle(const char *s, size_t n, struct profd_strbuf *sb)
{
	size_t head = (FMT_NAME_MAX - 3) / 2, tail = n - (FMT_NAME_MAX - 3 - head);
	int err;

	while (head > 0 && ((unsigned char)s[head] & 0xc0) == 0x80)
		head--;
	while (tail < n && ((unsigned char)s[tail] & 0xc0) == 0x80)
		tail++;
	err = profd_strbuf_append(sb, s, head);
	if (!err)
		err = profd_strbuf_puts(sb, "...");
	if (!err)
		err = profd_strbuf_append(sb, s + tail, n - tail);
	return err;
}

int fmt_short_name(const char *name, struct profd_strbuf *sb)
{
	struct profd_strbuf tmp = {0};
	size_t a, b, n = strlen(name);
	int d, err;

	short_range(name, n, &a, &b);
	name += a;
	n = b - a;
	if (n <= FMT_NAME_MAX)
		return profd_strbuf_append(sb, name, n);
	/*
	 * Template arguments go first, innermost first: the outer names say the most. The length
	 * only shrinks as d does, so the deepest d that fits is found by bisection.
	 */
	if (collapse(name, n, 1, NULL) <= FMT_NAME_MAX) {
		int lo = 1, hi = max_depth(name, n); /* lo fits, hi + 1 does not */

		while (lo < hi) {
			d = lo + (hi - lo + 1) / 2;
			if (collapse(name, n, d, NULL) <= FMT_NAME_MAX)
				lo = d;
			else
				hi = d - 1;
		}
		return collapse(name, n, lo, sb) == NONE ? -ENOMEM : 0;
	}
	if (collapse(name, n, 1, &tmp) == NONE) {
		profd_strbuf_release(&tmp);
		return -ENOMEM;
	}
	err = cut_middle(tmp.buf ? tmp.buf : "", tmp.len, sb);
	profd_strbuf_release(&tmp);
	return err;
}
