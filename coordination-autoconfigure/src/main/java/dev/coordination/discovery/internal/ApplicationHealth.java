package dev.coordination.discovery.internal;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;

/**
 * The application's own health, as the registration's status follows it: every health indicator
 * (or those of one group), except the starter's own {@code etcd}, {@code coordinationSession},
 * {@code elections} and {@code discovery}. Those are left out on purpose: an etcd outage would
 * otherwise publish every instance of every service as DOWN at once. Reactive contributors are not
 * asked.
 */
public class ApplicationHealth implements Supplier<String> {

	/**
	 * The health contributors of the starter itself.
	 */
	public static final Set<String> OWN_CONTRIBUTORS = Set.of("etcd", "coordinationSession", "elections", "discovery");

	private final HealthContributorRegistry registry;

	private final Predicate<String> member;

	private final StatusAggregator aggregator;

	/**
	 * Create the health to follow.
	 * @param registry the application's health contributors
	 * @param member which top-level contributors count, for example the members of a group
	 * @param aggregator how their statuses combine
	 */
	public ApplicationHealth(HealthContributorRegistry registry, Predicate<String> member, StatusAggregator aggregator) {
		this.registry = registry;
		this.member = member;
		this.aggregator = aggregator;
	}

	@Override
	public String get() {
		Set<Status> statuses = new HashSet<>();
		for (HealthContributors.Entry entry : this.registry) {
			if (!OWN_CONTRIBUTORS.contains(entry.name()) && this.member.test(entry.name())) {
				collect(entry.contributor(), statuses);
			}
		}
		return statuses.isEmpty() ? Status.UP.getCode() : this.aggregator.getAggregateStatus(statuses).getCode();
	}

	private static void collect(HealthContributor contributor, Set<Status> statuses) {
		if (contributor instanceof HealthIndicator indicator) {
			statuses.add(indicator.health(false).getStatus());
		}
		else if (contributor instanceof CompositeHealthContributor composite) {
			for (HealthContributors.Entry entry : composite) {
				collect(entry.contributor(), statuses);
			}
		}
	}

}
