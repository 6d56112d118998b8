/**
 * What a bench started, stopped in reverse order: at the end of the run, and on Ctrl-C or SIGTERM, so
 * that no origin, pod or workerd is left behind.
 */
export function stopOnExit(): { stops: (() => unknown)[]; stopAll(): Promise<void> } {
  const stops: (() => unknown)[] = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        console.error(`cleanup: ${String(err)}`);
      }
    }
  };
  const interrupted = async () => {
    await stopAll();
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  return { stops, stopAll };
}
