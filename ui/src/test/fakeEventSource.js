// A stand-in for the browser's EventSource in component tests: records every instance, lets a test open it,
// deliver named events (JSON data) and fail it, as the node's /api/ui/events would.
import { act } from '@testing-library/react';

export class FakeEventSource {
  static instances = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.listeners = {};
    this.closed = false;
    FakeEventSource.instances.push(this);
  }
  addEventListener(name, fn) {
    (this.listeners[name] ??= []).push(fn);
  }
  close() {
    this.closed = true;
    this.readyState = 2;
  }
  open() {
    act(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  emit(name, data) {
    act(() => {
      for (const fn of this.listeners[name] ?? []) fn({ data: JSON.stringify(data) });
    });
  }
  fail(readyState = 0) {
    act(() => {
      this.readyState = readyState;
      this.onerror?.({});
    });
  }
  static install() {
    FakeEventSource.instances = [];
    globalThis.EventSource = FakeEventSource;
  }
  static get last() {
    return FakeEventSource.instances.at(-1);
  }
}
