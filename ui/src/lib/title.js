// document.title rule (the native desktop window copies it):
//   before the first snapshot: "Quorum"
//   after: "Quorum — N node online" / "Quorum — N nodes online", N = nodes with state "online", self included.

export function onlineCount(snapshot) {
  return (snapshot?.nodes ?? []).filter((n) => n.state === 'online').length;
}

export function titleFor(snapshot) {
  if (!snapshot) return 'Quorum';
  const n = onlineCount(snapshot);
  return `Quorum — ${n} ${n === 1 ? 'node' : 'nodes'} online`;
}
