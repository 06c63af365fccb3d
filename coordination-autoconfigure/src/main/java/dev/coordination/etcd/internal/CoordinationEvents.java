package dev.coordination.etcd.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.context.ApplicationEvent;
import org.springframework.context.ApplicationEventPublisher;

/**
 * The one thread, {@code coordination-events}, on which every capability tells the application's
 * listeners and publishes its Spring events: one event at a time, in the order they were handed
 * over. It runs application code, so it is a virtual thread when the application runs on virtual
 * threads. The threads that keep leases alive, watch etcd or hold locks only hand events over, so a
 * slow or failing listener never delays them. A failing listener is logged and the others still
 * hear the event.
 */
public final class CoordinationEvents implements AutoCloseable {

	private static final Log logger = LogFactory.getLog(CoordinationEvents.class);

	private final @Nullable ApplicationEventPublisher publisher;

	private final ExecutorService thread;

	/**
	 * Create the event thread, a platform thread.
	 * @param publisher where to publish Spring events, or {@code null} to tell listeners only
	 */
	public CoordinationEvents(@Nullable ApplicationEventPublisher publisher) {
		this(publisher, false);
	}

	/**
	 * Create the event thread.
	 * @param publisher where to publish Spring events, or {@code null} to tell listeners only
	 * @param virtualThread whether it is a virtual thread (see
	 * {@link CoordinationThreads#forApplicationCode})
	 */
	public CoordinationEvents(@Nullable ApplicationEventPublisher publisher, boolean virtualThread) {
		this.publisher = publisher;
		this.thread = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
				CoordinationThreads.forApplicationCode("coordination-events", virtualThread));
	}

	/**
	 * Hand an event over: on the event thread, each listener is called with it, then it is
	 * published as a Spring event.
	 * @param <L> the listener type
	 * @param <E> the event type
	 * @param event the event
	 * @param listeners the listeners: those registered now hear the event
	 * @param call how to tell one listener
	 */
	public <L, E extends ApplicationEvent> void publish(E event, Iterable<L> listeners, BiConsumer<L, E> call) {
		List<L> told = new ArrayList<>();
		listeners.forEach(told::add);
		execute(() -> {
			for (L listener : told) {
				try {
					call.accept(listener, event);
				}
				catch (RuntimeException ex) {
					logger.error("Listener " + listener + " failed on " + event, ex);
				}
			}
			if (this.publisher != null) {
				try {
					this.publisher.publishEvent(event);
				}
				catch (RuntimeException ex) {
					logger.error("Publishing " + event + " failed", ex);
				}
			}
		});
	}

	/**
	 * Hand an event over that has no listeners of its own: published as a Spring event on the
	 * event thread.
	 * @param event the event
	 */
	public void publish(ApplicationEvent event) {
		publish(event, List.of(), (listener, e) -> {
		});
	}

	/**
	 * Run one of the starter's own reactions to a change on the event thread, after what was handed
	 * over before it: work that must not run on the thread that made the change (asynchronous work
	 * told that the leadership it ran under ended). A failing task is logged. After {@link #close()},
	 * on the calling thread, so that it is not lost.
	 * @param task the reaction
	 */
	public void run(Runnable task) {
		Runnable logged = () -> {
			try {
				task.run();
			}
			catch (RuntimeException ex) {
				logger.error("Task " + task + " failed", ex);
			}
		};
		try {
			this.thread.execute(logged);
		}
		catch (RejectedExecutionException ex) {
			logged.run();
		}
	}

	private void execute(Runnable task) {
		try {
			this.thread.execute(task);
		}
		catch (RejectedExecutionException ex) {
			logger.debug("Event dropped after close: the application is stopping");
		}
	}

	/**
	 * Deliver what was handed over, waiting at most 5 seconds, then stop the thread.
	 */
	@Override
	public void close() {
		this.thread.shutdown();
		try {
			if (!this.thread.awaitTermination(5, TimeUnit.SECONDS)) {
				this.thread.shutdownNow();
			}
		}
		catch (InterruptedException ex) {
			this.thread.shutdownNow();
			Thread.currentThread().interrupt();
		}
	}

}
