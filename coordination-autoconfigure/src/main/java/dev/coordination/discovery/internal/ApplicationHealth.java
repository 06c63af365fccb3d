package dev.coordination.discovery.internal;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.registry.HealthContributorRegistry;
import org.springframework.util.StringUtils;

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

	/**
	 * The health to follow: a group of the health endpoint, or the whole health.
	 * @param registry the application's health contributors
	 * @param groups the health endpoint's groups, or {@code null} without the health endpoint
	 * @param group the group to follow, or {@code null} (or empty) for the whole health
	 * @return the health
	 * @throws InvalidConfigurationPropertyValueException naming
	 * {@code coordination.etcd.discovery.health.group} when there is no such group
	 */
	public static ApplicationHealth of(HealthContributorRegistry registry, @Nullable HealthEndpointGroups groups,
			@Nullable String group) {
		if (!StringUtils.hasText(group)) {
			StatusAggregator aggregator = (groups != null) ? groups.getPrimary().getStatusAggregator()
					: StatusAggregator.getDefault();
			return new ApplicationHealth(registry, (name) -> true, aggregator);
		}
		HealthEndpointGroup found = (groups != null) ? groups.get(group) : null;
		if (found == null) {
			throw new InvalidConfigurationPropertyValueException("coordination.etcd.discovery.health.group", group,
					"No such health group" + ((groups != null) ? ": the groups are " + groups.getNames()
							: ": health groups need actuator's health endpoint")
							+ ". Leave it unset to follow the whole health.");
		}
		return new ApplicationHealth(registry, found::isMember, found.getStatusAggregator());
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
			// an indicator may answer no health: it counts for nothing, as in the health endpoint
			Health health = indicator.health(false);
			if (health != null) {
				statuses.add(health.getStatus());
			}
		}
		else if (contributor instanceof CompositeHealthContributor composite) {
			for (HealthContributors.Entry entry : composite) {
				collect(entry.contributor(), statuses);
			}
		}
	}

}
