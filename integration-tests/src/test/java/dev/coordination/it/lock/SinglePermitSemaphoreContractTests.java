package dev.coordination.it.lock;

/**
 * The lock contract kept by a semaphore of one permit: a lock whose holds belong to no thread.
 */
class SinglePermitSemaphoreContractTests extends AbstractSemaphoreContractTests {

	@Override
	int permits() {
		return 1;
	}

}
