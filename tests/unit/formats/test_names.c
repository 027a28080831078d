// SPDX-License-Identifier: MIT
/*
 * Unit tests of the names people read (fmt_short_name, fmt_frame_name). The oracle is c++filt:
 * its full demangling is the input, and `c++filt -p` (no parameters) what the short name must
 * be, as perf shows names; capped names must be that with template arguments elided.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/strbuf.h"
#include "formats/formats.h"
#include "helpers.h"

/* Templates, lambdas, operators, anonymous namespaces, clones, thunks, abi tags, conversions. */
static const char *const mangled[] = {
	"_ZN2ns3BoxIiE3getEv",				/* ns::Box<int>::get() */
	"_ZNK2ns3BoxINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEEE3getEv",
	"_ZN2ns5scaleIdLi3EEET_S1_RKSt6vectorIS1_SaIS1_EE", /* double ns::scale<double, 3>(...) */
	"_ZZ4mainENKUliE_clEi",				/* main::{lambda(int)#1}::operator() */
	"_ZZ4mainENUlvE_4_FUNEv",			/* main::{lambda()#1}::_FUN() */
	"_ZNSt8functionIFviEEC2IZ4mainEUliE_vvEEOT_",
	"_ZNKSt8functionIFiiEEclEi",			/* std::function<int (int)>::operator() */
	"_ZN12_GLOBAL__N_16hiddenEi",			/* (anonymous namespace)::hidden(int) */
	"_ZN12_GLOBAL__N_14AnonclEi",		/* (anonymous namespace)::Anon::operator() */
	"_ZN3FoocvbEv",					/* Foo::operator bool() */
	"_ZN3FoocvPKcEv",				/* Foo::operator char const*() */
	"_ZltIiEbRKT_S2_",				/* bool operator< <int>(...) */
	"_ZlsIiEvRiT_",					/* void operator<< <int>(int&, int) */
	"_ZN3FoonwEm", "_ZN3FoodlEPv", "_ZN3FooixEi", "_ZN3FooaSEOS_", "_ZN3FoossERKS_",
	"_ZN3FoopmEi", "_ZN3FoolSEi", "_ZN3FoorSEi", "_ZN3FooptEv", "_ZN3FooneERKS_",
	"_Zli2_xPKc",					/* operator"" _x(char const*) */
	"_ZN3FooC2Ev", "_ZN3FooD0Ev",			/* constructor, destructor */
	"_ZNK3Foo3barEv", "_ZNO3Foo3barEv", "_ZNR3Foo3barEv", /* const, &&, & */
	"_Z3foov.cold", "_Z3foov.constprop.0.isra.0", "_ZN3Foo3barEv.part.0",
	"_Z3fooB5cxx11v",				/* foo[abi:cxx11]() */
	"_Z1fIiEDTcl1gfp_EET_",				/* decltype (g({parm#1})) f<int>(int) */
	"_Z1fIiEPFivEv",				/* int (*f<int>())() */
	"_ZThn8_N3Foo3barEv", "_ZTv0_n24_N3Foo3barEv", /* thunks stay whole */
	"_ZNSt6vectorIiSaIiEE9push_backEOi",
	"_Z3fooPFviE",					/* foo(void (*)(int)) */
	"_ZN9__gnu_cxx13new_allocatorIcE8allocateEmPKv",
	/* std::_Rb_tree<std::string, ...>::_M_get_insert_unique_pos: over FMT_NAME_MAX short */
	"_ZNSt8_Rb_treeINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESt4pairIKS5_"
	"St6vectorIiSaIiEEESt10_Select1stISB_ESt4lessIS5_ESaISB_EE24_M_get_insert_unique_posERS7_",
	"_ZNSt8__detail9_Map_baseINSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEESt4pairIKS6_"
	"St6vectorIiSaIiEEESaISB_ENS_10_Select1stESt8equal_toIS6_ESt4hashIS6_ENS_18_Mod_range_"
	"hashingENS_20_Default_ranged_hashENS_20_Prime_rehash_policyENS_17_Hashtable_traitsILb1E"
	"Lb0ELb1EEELb1EEixERS8_",
};

/* What c++filt (with args, e.g. "-p") prints for m; NULL without c++filt. Caller frees. */
static char *cxxfilt(const char *args, const char *m)
{
	char cmd[4096], *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "c++filt %s '%s' 2>/dev/null", args, m);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = getline(&line, &cap, p);
	pclose(p);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	if (line[n - 1] == '\n')
		line[n - 1] = '\0';
	return line;
}

static bool have_cxxfilt(void)
{
	char *v = cxxfilt("", "_Z3foov");
	bool ok = v && !strcmp(v, "foo()");

	free(v);
	return ok;
}

static char *short_of(const char *name)
{
	struct profd_strbuf sb = {0};

	assert_int_equal(fmt_short_name(name, &sb), 0);
	return sb.buf ? profd_strbuf_detach(&sb, NULL) : strdup("");
}

/* Whether got is want with some template argument lists written "<...>". */
static bool elides(const char *got, const char *want)
{
	while (*got && *want) {
		if (!strncmp(got, "<...>", 5) && *want == '<') {
			int depth = 0;

			do
				depth += (*want == '<') - (*want == '>');
			while (*++want && depth);
			if (depth)
				return false;
			got += 5;
			continue;
		}
		if (*got++ != *want++)
			return false;
	}
	return !*got && !*want;
}

static void test_cxx_names(void **state)
{
	if (!have_cxxfilt())
		skip_missing("c++filt (binutils) is not installed");
	for (size_t i = 0; i < sizeof(mangled) / sizeof(mangled[0]); i++) {
		char *full = cxxfilt("", mangled[i]), *want = cxxfilt("-p", mangled[i]), *got;

		assert_non_null(full);
		assert_non_null(want);
		if (!strcmp(full, mangled[i]))
			fail_msg("c++filt does not demangle %s", mangled[i]);
		got = short_of(full);
		if (strlen(want) <= FMT_NAME_MAX) {
			if (strcmp(got, want))
				fail_msg("%s\n  full %s\n  want %s\n  got  %s", mangled[i], full,
					 want, got);
		} else if (strlen(got) > FMT_NAME_MAX || !elides(got, want) ||
			   !strchr(got, '<')) {
			fail_msg("%s: capped to %zu bytes: %s (from %s)", mangled[i], strlen(got),
				 got, want);
		}
		/* The short name is a fixed point. */
		free(full);
		full = short_of(got);
		assert_string_equal(full, got);
		free(full);
		free(want);
		free(got);
	}
}

/* Names that are not C++ declarations stay as they are. */
static void test_other_names(void **state)
{
	static const char *const same[] = {
		"main", "__x64_sys_read", "libfoo.so+0x1a2b", "[unknown]", "[truncated]",
		"<alloc::vec::Vec<T> as core::ops::drop::Drop>::drop", "core::fmt::write",
		"std::rt::lang_start::{{closure}}", "main.(*T).Method", "runtime.gopark",
		"LazyCompile:*fib /tmp/x.js:3", "JS:*fib file:///tmp/x.js:3:10",
		"foo (bar.js:12)", "py::work:/tmp/x.py", "Interpreter", "ns::Box<int>::get",
		"(anonymous namespace)::f", "main::{lambda(int)#1}::operator()", "operator new",
		"f(", "f)", "a<b", "((((", "))))", "operator", "x (y)",
	};

	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		char *got = short_of(same[i]);

		assert_string_equal(got, same[i]);
		free(got);
	}
}

/*
 * Malformed declarations (from a hand-written or damaged folded file) shorten to a fixed point
 * too, so that profd's own output reads back unchanged (fuzz_folded found "f(int)(x)").
 */
static void test_malformed_fixed_point(void **state)
{
	static const char *const names[][2] = {
		{"a`c:c(int)(?x.B::c(int) 4)", "a`c:c"},
		{"f(int)(char)(long)", "f"},
		{"int g(a)(b) const", "g"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char *got = short_of(names[i][0]), *again = short_of(got);

		assert_string_equal(got, names[i][1]);
		assert_string_equal(again, got);
		free(again);
		free(got);
	}
}

static bool utf8_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : -1;

		if (n < 0)
			return false;
		for (p++; n > 0; n--, p++)
			if ((*p & 0xc0) != 0x80)
				return false;
	}
	return true;
}

/* Without template arguments to drop, a long name loses its middle, never half a character. */
static void test_cut_middle(void **state)
{
	char name[1024] = "head::";
	size_t len = strlen(name);
	char *got;

	while (len + 8 < sizeof(name) - 16) {
		memcpy(name + len, "\xc3\xa9x", 3); /* "éx" */
		len += 3;
	}
	strcpy(name + len, "::tail");
	got = short_of(name);
	assert_true(strlen(got) <= FMT_NAME_MAX);
	assert_true(strlen(got) >= FMT_NAME_MAX - 4);
	assert_true(utf8_ok(got));
	assert_non_null(strstr(got, "..."));
	assert_memory_equal(got, "head::", 6);
	assert_string_equal(got + strlen(got) - 6, "::tail");
	free(got);
}

/* Folded stacks show the short name by default, the whole one with full_names. */
static void test_frame_name(void **state)
{
	static const char full[] = "int ns::Box<int>::get(long) const";
	struct fmt_profile *p = fmt_profile__new(0);
	struct fmt_frame_desc f = {.name = full, .system_name = "_ZNK2ns3BoxIiE3getEl",
				   .filename = "/src/box.h", .line = 7};
	struct fmt_name_opts whole = {.full_names = true}, lines = {.lines = true};
	struct profd_strbuf sb = {0};
	uint32_t id;

	assert_non_null(p);
	assert_int_equal(fmt_profile__add_location(p, 0, 0, &f, 1, &id), 0);
	assert_int_equal(fmt_frame_name(p, fmt_profile__location(p, id), 0, NULL, &sb), 0);
	assert_string_equal(sb.buf, "ns::Box<int>::get");
	profd_strbuf_reset(&sb);
	assert_int_equal(fmt_frame_name(p, fmt_profile__location(p, id), 0, &whole, &sb), 0);
	assert_string_equal(sb.buf, full);
	profd_strbuf_reset(&sb);
	assert_int_equal(fmt_frame_name(p, fmt_profile__location(p, id), 0, &lines, &sb), 0);
	assert_string_equal(sb.buf, "ns::Box<int>::get (box.h:7)");
	profd_strbuf_release(&sb);
	fmt_profile__free(p);
}

TEST_MAIN(cmocka_unit_test(test_cxx_names),
	  cmocka_unit_test(test_other_names),
	  cmocka_unit_test(test_malformed_fixed_point),
	  cmocka_unit_test(test_cut_middle),
	  cmocka_unit_test(test_frame_name))
