package dev.coordination.election.internal;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationListener;

/**
 * Whether this instance's candidates may campaign now. {@link #OPEN} always lets them; a
 * {@link #readiness readiness gate} lets them only while the application's readiness is
 * {@link ReadinessState#ACCEPTING_TRAFFIC}: elections consult it before every campaign, and when
 * it closes they resign (their keys are deleted, so a follower takes over at once) and stay out
 * until it opens again.
 */
public class CampaignGate implements ApplicationListener<AvailabilityChangeEvent<?>> {

	/**
	 * A gate that is always open.
	 */
	public static final CampaignGate OPEN = new CampaignGate(true, false);

	private final boolean followsReadiness;

	private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

	private volatile boolean open;

	private CampaignGate(boolean open, boolean followsReadiness) {
		this.open = open;
		this.followsReadiness = followsReadiness;
	}

	/**
	 * A gate open while the application accepts traffic.
	 * @param availability the application's availability, for the readiness it has now
	 * @return the gate
	 */
	public static CampaignGate readiness(ApplicationAvailability availability) {
		return new CampaignGate(availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC, true);
	}

	/**
	 * Whether candidates may campaign now.
	 * @return {@code true} when open
	 */
	public boolean isOpen() {
		return this.open;
	}

	/**
	 * Run {@code listener} whenever the gate opens or closes.
	 * @param listener what to run
	 */
	public void addListener(Runnable listener) {
		if (this.followsReadiness) {
			this.listeners.add(listener);
		}
	}

	@Override
	public void onApplicationEvent(AvailabilityChangeEvent<?> event) {
		if (!this.followsReadiness || !(event.getState() instanceof ReadinessState readiness)) {
			return;
		}
		boolean open = readiness == ReadinessState.ACCEPTING_TRAFFIC;
		if (open != this.open) {
			this.open = open;
			this.listeners.forEach(Runnable::run);
		}
	}

}
