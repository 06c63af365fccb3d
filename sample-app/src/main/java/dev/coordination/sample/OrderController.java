package dev.coordination.sample;

import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /orders/{id}}: processes an order under its distributed lock and reports the fencing
 * token it ran under.
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

}
