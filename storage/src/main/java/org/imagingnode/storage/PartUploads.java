package org.imagingnode.storage;

import io.minio.messages.Part;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;

/**
 * The parts of one multipart upload, sent on the store's transfer threads with at most
 * {@code limit} in flight: {@link #submit} waits for the oldest part when the window is full, so the
 * caller reads the next part while earlier ones are on the wire, and memory stays bounded.
 *
 * <p>On failure, {@link #cancel} interrupts the parts in flight, skips those not started and waits
 * (boundedly) until none is running, so that the upload can then be aborted with nothing still
 * being sent to it. A worker thread is interrupted only while it runs a part of this upload.
 */
final class PartUploads {

    /** One part's upload: returns the ETag. */
    @FunctionalInterface
    interface Upload {
        String run() throws Exception;
    }

    private static final long CANCEL_WAIT_MILLIS = 10_000;

    private final Executor executor;
    private final int limit;
    private final Deque<CompletableFuture<Part>> inFlight = new ArrayDeque<>();
    private final List<Part> done = new ArrayList<>();
    /** Guards the fields below; the threads running a part of this upload. */
    private final Object lock = new Object();
    private final Set<Thread> workers = new HashSet<>();
    private int unfinished;
    private boolean cancelled;

    PartUploads(Executor executor, int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        this.executor = executor;
        this.limit = limit;
    }

    /** Starts the upload of part {@code number} (numbers given in increasing order). */
    void submit(int number, Upload upload) throws IOException {
        while (inFlight.size() >= limit) {
            done.add(await(inFlight.removeFirst()));
        }
        CompletableFuture<Part> result = new CompletableFuture<>();
        synchronized (lock) {
            unfinished++;
        }
        try {
            executor.execute(() -> run(number, upload, result));
        } catch (RuntimeException e) {
            finished(Thread.currentThread(), false);
            throw e;
        }
        inFlight.addLast(result);
    }

    /** Waits for every part; returns them in part-number order. */
    List<Part> finish() throws IOException {
        while (!inFlight.isEmpty()) {
            done.add(await(inFlight.removeFirst()));
        }
        return List.copyOf(done);
    }

    /** Interrupts the parts in flight, skips the others and waits a while for them to stop. */
    void cancel() {
        synchronized (lock) {
            cancelled = true;
            workers.forEach(Thread::interrupt);
            long deadline = System.currentTimeMillis() + CANCEL_WAIT_MILLIS;
            boolean interrupted = false;
            while (unfinished > 0) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    break;
                }
                try {
                    lock.wait(left);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run(int number, Upload upload, CompletableFuture<Part> result) {
        Thread self = Thread.currentThread();
        synchronized (lock) {
            if (cancelled) {
                result.cancel(false);
                finished(self, false);
                return;
            }
            workers.add(self);
        }
        try {
            result.complete(new Part(number, upload.run()));
        } catch (Throwable t) {
            result.completeExceptionally(t);
        } finally {
            finished(self, true);
        }
    }

    private void finished(Thread worker, boolean registered) {
        synchronized (lock) {
            if (registered) {
                workers.remove(worker);
                Thread.interrupted(); // an interrupt meant for this upload must not reach the thread's next task
            }
            unfinished--;
            lock.notifyAll();
        }
    }

    private static Part await(CompletableFuture<Part> part) throws IOException {
        try {
            return part.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a part upload");
        } catch (CancellationException e) {
            throw new InterruptedIOException("part upload cancelled");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException("part upload failed: " + cause, cause);
        }
    }
}
