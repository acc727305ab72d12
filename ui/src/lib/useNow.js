// Re-renders every `ms` for clocks on screen ("last seen", tokens per second now, "offline since"). Display only.
import { useEffect, useState } from 'react';

export function useNow(ms = 1000) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
