// A sheet the studio's store opens (its `sheet` names it): Close, or a tap outside a modal
// one, closes it through the store, so each sheet does not wire that up again.
import type { ComponentProps } from "react";
import { useStudioContext } from "./context";
import { Sheet } from "./Sheet";

export function StudioSheet(props: Omit<ComponentProps<typeof Sheet>, "open" | "onClose">) {
  const { store } = useStudioContext().controller;
  return <Sheet {...props} open onClose={() => store.openSheet(null)} />;
}
