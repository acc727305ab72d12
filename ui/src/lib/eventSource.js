// The named events of a server-sent event stream, each handed over with its JSON data parsed; an event whose
// data is not JSON is skipped (a server bug must not stop the page).
export function listenForEvents(source, names, onEvent) {
  for (const name of names) {
    source.addEventListener(name, (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      onEvent(name, data);
    });
  }
}
