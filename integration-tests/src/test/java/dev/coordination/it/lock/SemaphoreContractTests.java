package dev.coordination.it.lock;

/**
 * The lock contract kept by a semaphore of three permits: at most three holds at once, and three
 * holds keep a fourth out.
 */
class SemaphoreContractTests extends AbstractSemaphoreContractTests {

	@Override
	int permits() {
		return 3;
	}

}
