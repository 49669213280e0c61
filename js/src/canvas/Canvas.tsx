// The zoomable canvas: React Flow does the gestures (drag with 32 px snapping, pinch and
// pan, tap-to-connect); we add pinch-on-blocks, long-press and the design <-> nodes sync.

import {
  applyNodeChanges,
  Background,
  BackgroundVariant,
  type Connection,
  type EdgeChange,
  type Edge as FlowEdgeT,
  type NodeChange,
  ReactFlow,
  useReactFlow,
  useStore,
  useStoreApi,
} from "@xyflow/react";
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import {
  BLOCK_H,
  BLOCK_W,
  clampZoom,
  GRID,
  isLod,
  MAX_ZOOM,
  MIN_ZOOM,
  nextZoomStep,
  portRooms,
  revealShift,
} from "../geometry";
import { connect, connectionProblem, moveBlocks } from "../state/design";
import { issuesByBlock, shownValidation } from "../state/selectors";
import type { Position } from "../types";
import { useStudio, useStudioContext } from "../ui/context";
import { useRevisionView } from "../ui/history/useRevisionView";
import { BlockNode, type BlockNodeType } from "./BlockNode";
import { FlowEdge } from "./FlowEdge";
import { installLongPress, installPinchOnItems } from "./gestures";
import { LodEdges } from "./LodEdges";
import { edgeSelection, MARKER, reconcileEdges, reconcileNodes } from "./reconcile";

const nodeTypes = { block: BlockNode };
const edgeTypes = { flow: FlowEdge };
const SNAP: [number, number] = [GRID, GRID];
const defaultEdgeOptions = { type: "flow", markerEnd: MARKER };
const selectResult = (s: Parameters<typeof shownValidation>[0]) => shownValidation(s).result;
const NO_ISSUES = new Map<string, never>();
/** React Flow's switches for a stored revision on show: nothing to drag, wire or pick. */
const READ_ONLY = {
  nodesDraggable: false,
  nodesConnectable: false,
  elementsSelectable: false,
} as const;

export function Canvas() {
  const { controller, canvas } = useStudioContext();
  const store = controller.store;
  const present = useStudio((s) => s.history.present);
  // A stored revision shown from the history sheet: drawn with its diff marks, read-only
  // (no drag, connect, select or long-press reaches the design).
  const revision = useRevisionView();
  const readOnly = revision !== null;
  const readOnlyRef = useRef(readOnly);
  readOnlyRef.current = readOnly;
  const design = revision?.view.design ?? present;
  const catalog = useStudio((s) => s.catalog);
  const result = useStudio(selectResult);
  const selectedNodes = useStudio((s) => s.selectedNodes);
  const selectedEdges = useStudio((s) => s.selectedEdges);
  const loadSeq = useStudio((s) => s.doc.load_seq);
  // In a notebook cell the wheel scrolls the notebook (a canvas that ate it would trap
  // the page); Ctrl+wheel and trackpad pinches still zoom. The full-page app zooms.
  const embedded = !controller.bridge.trait<boolean>("fullscreen");
  const issues = useMemo(() => (readOnly ? NO_ISSUES : issuesByBlock(result)), [result, readOnly]);
  const selectedSet = useMemo(() => new Set(selectedNodes), [selectedNodes]);
  const rooms = useMemo(() => portRooms(design.components), [design.components]);
  // Zoomed in, only the cards on screen are in the page (bench: a 200-block pinch went
  // from 22-35% late frames to 0-1.4%); zoomed out they all are, and drawing them all is
  // cheaper than working out which.
  const lod = useStore(isLod);

  const [nodes, setNodes] = useState<BlockNodeType[]>([]);
  const [edges, setEdges] = useState<FlowEdgeT[]>([]);
  const nodesRef = useRef(nodes);
  nodesRef.current = nodes;
  const edgesRef = useRef(edges);
  edgesRef.current = edges;
  const portTap = useRef(false);
  const wrapper = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = wrapper.current;
    if (!el) return;
    const down = (e: PointerEvent) => {
      portTap.current =
        e.target instanceof Element && e.target.closest(".react-flow__handle") !== null;
    };
    el.addEventListener("pointerdown", down, true);
    return () => el.removeEventListener("pointerdown", down, true);
  }, []);

  useLayoutEffect(() => {
    setNodes((prev) =>
      reconcileNodes(prev, design, catalog, issues, selectedSet, rooms, revision?.view.marks),
    );
  }, [design, catalog, issues, selectedSet, rooms, revision]);
  useLayoutEffect(() => {
    setEdges((prev) => reconcileEdges(prev, design, selectedEdges, revision?.view.edgeMarks));
  }, [design, selectedEdges, revision]);

  const onNodesChange = useCallback(
    (changes: NodeChange<BlockNodeType>[]) => {
      const selection = changes.filter((c) => c.type === "select");
      const rest = changes.filter((c) => c.type !== "select" && c.type !== "remove");
      if (rest.length) {
        const next = applyNodeChanges(rest, nodesRef.current);
        nodesRef.current = next;
        setNodes(next);
        // An undo step per finished drag: the position change with dragging false fires
        // even when a second finger cut the drag short (FINDINGS).
        const done = new Map<string, Position>();
        for (const c of rest) {
          if (c.type === "position" && c.dragging === false) {
            const n = next.find((x) => x.id === c.id);
            if (n) done.set(c.id, { x: Math.round(n.position.x), y: Math.round(n.position.y) });
          }
        }
        if (done.size && !readOnlyRef.current) store.edit((d) => moveBlocks(d, done));
      }
      // A tap on a port is for connecting: it does not select (and open the inspector).
      if (selection.length && !portTap.current && !readOnlyRef.current) {
        const sel = new Set(store.getState().selectedNodes);
        for (const c of selection)
          if (c.type === "select") c.selected ? sel.add(c.id) : sel.delete(c.id);
        store.select([...sel], sel.size ? [] : store.getState().selectedEdges);
      }
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      const st = store.getState();
      const next = edgeSelection(st.selectedEdges, changes, edgesRef.current);
      if (next) store.select(next.length ? [] : st.selectedNodes, next);
    },
    [store],
  );

  const isValidConnection = useCallback(
    (c: Connection | FlowEdgeT) =>
      !!catalog && connectionProblem(store.design, catalog, c.source, c.target) === null,
    [catalog, store],
  );

  const onConnect = useCallback(
    (c: Connection) => {
      if (!catalog) return;
      if (readOnlyRef.current) return;
      const problem = connectionProblem(store.design, catalog, c.source, c.target);
      if (problem) store.toast(problem, "error");
      else store.edit((d) => connect(d, c.source, c.target));
    },
    [catalog, store],
  );

  return (
    <div ref={wrapper} className="ms-flow" data-readonly={readOnly || undefined}>
      <ReactFlow<BlockNodeType, FlowEdgeT>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onlyRenderVisibleElements={!lod}
        edgeTypes={edgeTypes}
        defaultEdgeOptions={defaultEdgeOptions}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        {...(readOnly ? READ_ONLY : null)}
        snapToGrid
        snapGrid={SNAP}
        minZoom={MIN_ZOOM}
        maxZoom={MAX_ZOOM}
        zoomOnDoubleClick={false}
        zoomOnScroll={!embedded}
        preventScrolling={!embedded}
        connectOnClick
        connectionRadius={36}
        nodeDragThreshold={4}
        deleteKeyCode={null}
        selectionKeyCode={null}
        multiSelectionKeyCode={["Meta", "Control", "Shift"]}
        proOptions={{ hideAttribution: true }}
      >
        <Grid />
        <LodEdges nodes={nodes} edges={edges} host={wrapper} />
        <CanvasBindings loadSeq={loadSeq} canvas={canvas} />
        <ConnectHint />
      </ReactFlow>
    </div>
  );
}

/** The dot grid, above LOD_ZOOM only: below it the dots are noise and their repaint on
 * every frame of a pinch was a large part of the frame time at 200 blocks. */
function Grid() {
  const lod = useStore(isLod);
  return lod ? null : (
    <Background variant={BackgroundVariant.Dots} gap={GRID} size={1.6} className="ms-grid" />
  );
}

/** Exposes the canvas API, keeps data-zoom current, installs the touch extras. */
function CanvasBindings({
  loadSeq,
  canvas,
}: {
  loadSeq: number;
  canvas: ReturnType<typeof useStudioContext>["canvas"];
}) {
  const rf = useReactFlow();
  const rfStore = useStoreApi();
  const domNode = useStore((s) => s.domNode);
  const { controller } = useStudioContext();

  // React Flow queues a fitView until nodes are measured: asked on an empty design, it
  // would fire when the first block lands and yank the view from under the finger. So an
  // empty design gets a plain viewport (its origin top-centre at zoom 1) and no queued fit.
  const fit = useCallback(
    (duration?: number) => {
      if (controller.store.design.components.length) {
        void rf.fitView({ padding: 0.2, maxZoom: 1, duration });
        return;
      }
      rfStore.setState({ fitViewQueued: false });
      const width = domNode?.clientWidth ?? 0;
      void rf.setViewport(
        { x: Math.round(width / 2 - BLOCK_W / 2), y: 2 * GRID, zoom: 1 },
        { duration },
      );
    },
    [rf, rfStore, domNode, controller],
  );

  // The zoom follows the store outside React: re-rendering this component on every
  // frame of a pinch was work for nothing.
  useEffect(() => {
    const root = domNode?.closest<HTMLElement>("[data-testid=canvas]");
    if (!root) return;
    let last = Number.NaN;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const apply = (zoom: number) => {
      if (zoom === last) return;
      last = zoom;
      root.dataset.zoom = zoom.toFixed(3);
      // A custom property on the root restyles every element under it (~150 ms at 200
      // blocks on a throttled phone): set it once the zoom settles, and only when the
      // zoom has left its step.
      clearTimeout(timer);
      const current = parseFloat(root.style.getPropertyValue("--ms-zoom"));
      const step = nextZoomStep(Number.isFinite(current) ? current : null, zoom);
      if (step !== current)
        timer = setTimeout(() => root.style.setProperty("--ms-zoom", String(step)), 150);
    };
    apply(rfStore.getState().transform[2]);
    const unsubscribe = rfStore.subscribe((s) => apply(s.transform[2]));
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [domNode, rfStore]);

  useEffect(() => {
    canvas.current = {
      centre() {
        const r = domNode?.getBoundingClientRect();
        if (!r) return { x: 0, y: 0 };
        return rf.screenToFlowPosition({ x: r.left + r.width / 2, y: r.top + r.height / 2 });
      },
      toCanvas(x, y) {
        const r = domNode?.getBoundingClientRect();
        if (!r || x < r.left || x > r.right || y < r.top || y > r.bottom) return null;
        return rf.screenToFlowPosition({ x, y });
      },
      fit() {
        fit(200);
      },
    };
    return () => {
      canvas.current = null;
    };
  }, [rf, domNode, canvas, fit]);

  useEffect(() => {
    if (!loadSeq) return;
    const frame = requestAnimationFrame(() => fit());
    return () => cancelAnimationFrame(frame);
  }, [loadSeq, fit]);

  // Bring the selected block into view, above the inspector sheet (it covers the lower
  // half): a duplicate lands off screen, and off screen it is not even in the page. From
  // the design, not React Flow's node: a block made this instant is not there yet.
  const selected = useStudio((s) => (s.selectedNodes.length === 1 ? s.selectedNodes[0] : null));
  useEffect(() => {
    const c = selected
      ? controller.store.design.components.find((x) => x.id === selected)
      : undefined;
    if (!c || !domNode) return;
    const view = rf.getViewport();
    const shift = revealShift({ x: c.position.x, y: c.position.y, w: BLOCK_W, h: BLOCK_H }, view, {
      width: domNode.clientWidth,
      height: domNode.clientHeight * 0.42,
    });
    if (shift.x || shift.y)
      void rf.setViewport(
        { x: view.x + shift.x, y: view.y + shift.y, zoom: view.zoom },
        { duration: 200 },
      );
  }, [selected, rf, domNode, controller]);

  useEffect(() => {
    const el = domNode;
    if (!el) return;
    const offPinch = installPinchOnItems(
      el,
      () => rf.getViewport(),
      (v) => void rf.setViewport({ ...v, zoom: clampZoom(v.zoom) }),
    );
    const offPress = installLongPress(el, (id) => {
      if (controller.store.getState().viewedRevision !== null) return; // read-only view
      controller.store.select([id]);
      controller.store.openSheet("actions", id);
      navigator.vibrate?.(10);
    });
    return () => {
      offPinch();
      offPress();
    };
  }, [domNode, rf, controller]);

  return null;
}

function ConnectHint() {
  const start = useStore((s) => s.connectionClickStartHandle);
  if (!start) return null;
  return (
    <div className="ms-hint" role="status">
      {start.type === "source"
        ? "Tap the input (top) of another block"
        : "Tap the output (bottom) of another block"}
    </div>
  );
}
