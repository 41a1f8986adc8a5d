//! The org tree and the manager chain, both kept as materialised paths of ids
//! (`/root/child/grandchild/`), so that "this department and everything below it" and "this
//! user and everyone who reports to them" are prefix matches.

use uuid::Uuid;

/// The path of a node whose parent has `parent_path` (or of a root when `None`).
pub fn child_path(parent_path: Option<&str>, id: Uuid) -> String {
    format!("{}{}/", parent_path.unwrap_or("/"), id.simple())
}

/// The ids on a path, from the root down to the node itself.
pub fn path_ids(path: &str) -> Vec<Uuid> {
    path.split('/')
        .filter_map(|s| Uuid::try_parse(s).ok())
        .collect()
}

/// Whether `candidate_path` is `path` itself or lies below it.
pub fn is_within(candidate_path: &str, path: &str) -> bool {
    candidate_path.starts_with(path)
}

/// Whether re-parenting the node at `node_path` under `new_parent_path` would make it its own
/// ancestor.
pub fn would_cycle(node_path: &str, new_parent_path: &str) -> bool {
    is_within(new_parent_path, node_path)
}

/// Depth of a node: 1 for a root.
pub fn depth(path: &str) -> usize {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .count()
}

/// Department names are short labels; the tree is at most this deep
/// (group → subsidiary → region → department → team and a few more).
pub const MAX_DEPARTMENT_DEPTH: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_names_its_ancestors_and_itself() {
        let (root, child) = (Uuid::now_v7(), Uuid::now_v7());
        let path = child_path(Some(&child_path(None, root)), child);
        assert_eq!(path_ids(&path), vec![root, child]);
        assert!(path_ids("/").is_empty());
    }

    #[test]
    fn paths_nest() {
        let a = Uuid::now_v7();
        let b = Uuid::now_v7();
        let pa = child_path(None, a);
        let pb = child_path(Some(&pa), b);
        assert!(is_within(&pb, &pa));
        assert!(!is_within(&pa, &pb));
        assert!(would_cycle(&pa, &pb));
        assert!(!would_cycle(&pb, &pa));
        assert_eq!(depth(&pa), 1);
        assert_eq!(depth(&pb), 2);
    }
}
