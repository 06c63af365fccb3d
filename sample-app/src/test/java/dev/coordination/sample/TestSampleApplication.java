package dev.coordination.sample;

import dev.coordination.test.spring.EtcdTestApplication;

import org.springframework.boot.SpringApplication;

/**
 * Runs the sample application against an etcd started for it (a local etcd binary, or Docker):
 * {@code ./mvnw -pl sample-app -am -Psample -DskipTests verify}.
 */
public class TestSampleApplication {

	public static void main(String[] args) {
		EtcdTestApplication.run(new SpringApplication(SampleApplication.class), args);
	}

}
