/* The storage tests that only PostgreSQL has: several instances. */
#ifndef TESTS_TEST_STORE_PG_H
#define TESTS_TEST_STORE_PG_H

/* Runs them against the database at url (a test cluster's). */
void test_pg_instances(const char *url);

#endif
