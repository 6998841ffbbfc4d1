// Node definitions from /api/object_info, the category tree of the node library, and the
// fuzzy search index (kept in step with every load).
import { defineStore } from 'pinia';
import { markRaw, ref, computed } from 'vue';
import { getApi } from '../api/instance.ts';
import type { NodeDef, ObjectInfo } from '../api/types.ts';
import { setSearchDefs } from '../graph/nodeSearch.ts';

// Fuzzy search over these definitions: searchNodes() in graph/nodeSearch.ts.
export { searchNodes } from '../graph/nodeSearch.ts';

export interface CategoryNode {
  name: string;
  path: string;
  children: CategoryNode[];
  defs: NodeDef[];
}

export function categoryTree(defs: NodeDef[]): CategoryNode {
  const root: CategoryNode = { name: '', path: '', children: [], defs: [] };
  for (const def of [...defs].sort((a, b) => (a.display_name || a.name).localeCompare(b.display_name || b.name))) {
    let at = root;
    for (const part of (def.category || 'other').split('/').filter(Boolean)) {
      let child = at.children.find((c) => c.name === part);
      if (!child) {
        child = { name: part, path: at.path ? `${at.path}/${part}` : part, children: [], defs: [] };
        at.children.push(child);
        at.children.sort((a, b) => a.name.localeCompare(b.name));
      }
      at = child;
    }
    at.defs.push(def);
  }
  return root;
}

export const useNodeDefsStore = defineStore('nodeDefs', () => {
  const defs = ref<ObjectInfo>({});
  const loaded = ref(false);
  const error = ref<string | null>(null);

  const list = computed(() => Object.values(defs.value));
  const tree = computed(() => categoryTree(list.value));

  async function load(): Promise<ObjectInfo> {
    try {
      const info = await getApi().getObjectInfo();
      defs.value = markRaw(info);
      setSearchDefs(info);
      loaded.value = true;
      error.value = null;
      return info;
    } catch (e) {
      error.value = (e as Error).message;
      throw e;
    }
  }

  return { defs, loaded, error, list, tree, load };
});
