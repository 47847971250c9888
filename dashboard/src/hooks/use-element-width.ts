/**
 * The rendered width of an element, in CSS pixels, kept current as the layout changes, so an SVG
 * can draw in pixels at its real size (points stay round, labels keep their font size) instead of
 * scaling a fixed viewBox. Returns the width and the callback ref to put on the element (a callback
 * ref, so an element that mounts later — after data arrives — is measured too). `fallback` is used
 * until the first measurement and where the browser offers no ResizeObserver.
 */
import { useEffect, useState } from 'react';

export function useElementWidth(fallback: number): [number, (element: Element | null) => void] {
  const [element, setElement] = useState<Element | null>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    if (!element || typeof ResizeObserver === 'undefined') return;
    const measure = () => {
      const measured = Math.round(element.getBoundingClientRect().width);
      if (measured > 0) setWidth(measured);
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return [width, setElement];
}
