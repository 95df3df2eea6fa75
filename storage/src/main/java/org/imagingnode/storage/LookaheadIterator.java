package org.imagingnode.storage;

import java.util.Iterator;
import java.util.NoSuchElementException;

/** An iterator that looks its next element up on demand; subclasses say how, in {@link #advance}. */
abstract class LookaheadIterator<T> implements Iterator<T> {
    private T next;

    /** Finds the next element; null when there is none left. */
    protected abstract T advance();

    @Override
    public final boolean hasNext() {
        if (next == null) {
            next = advance();
        }
        return next != null;
    }

    @Override
    public final T next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        T result = next;
        next = null;
        return result;
    }
}
