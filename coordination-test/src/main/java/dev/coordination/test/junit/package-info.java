/**
 * JUnit Jupiter extension that gives a test class or a test method its own etcd cluster.
 */
package dev.coordination.test.junit;
