package dev.coordination.sample;

import dev.coordination.lock.DistributedLocked;
import dev.coordination.lock.LockContext;

import org.springframework.stereotype.Service;

/**
 * Processes an order once across all instances: the work runs under the order's distributed lock.
 */
@Service
class OrderService {

	@DistributedLocked(key = "'orders/' + #id", waitTime = "5s", name = "orders")
	public String process(String id) {
		long token = LockContext.currentToken().orElseThrow();
		// a real service would pass the token to the system it writes to, which rejects older tokens
		return "Order " + id + " processed under fencing token " + token + ".\n";
	}

}
