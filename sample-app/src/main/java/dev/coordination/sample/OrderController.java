package dev.coordination.sample;

import java.util.concurrent.CompletableFuture;

import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /orders/{id}}: processes an order under its distributed lock and reports the fencing
 * token it ran under. {@code POST /orders/{id}/async} does the same work asynchronously: the lock is
 * held until the returned future completes, not until the method returns.
 */
@RestController
class OrderController {

	private final OrderService orders;

	OrderController(OrderService orders) {
		this.orders = orders;
	}

	@PostMapping(path = "/orders/{id}", produces = "text/plain")
	String process(@PathVariable String id) throws InterruptedException {
		return this.orders.process(id);
	}

	@PostMapping(path = "/orders/{id}/async", produces = "text/plain")
	CompletableFuture<String> processAsync(@PathVariable String id) {
		return this.orders.processAsync(id);
	}

}
