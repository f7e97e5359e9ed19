// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {CommitteeArbitratorErrors as Errors} from "../../../../contracts/arbitration/CommitteeArbitratorErrors.sol";
import {ICommitteeArbitrator} from "../../../../contracts/interfaces/ICommitteeArbitrator.sol";
import {CommitteeArbitratorBase, CommitteeDeployer} from "../../../utils/CommitteeArbitratorBase.t.sol";

contract CommitteeArbitrator_Constructor_Unit_Test is CommitteeArbitratorBase {
    CommitteeDeployer internal deployer;

    function setUp() public override {
        super.setUp();
        deployer = new CommitteeDeployer();
    }

    function addresses(uint256 n) internal pure returns (address[] memory a) {
        a = new address[](n);
        for (uint256 i; i < n; ++i) {
            a[i] = address(uint160(0x1000 + i));
        }
    }

    function expectDeployRevert(address[] memory m, uint256 q, uint32 p, bytes memory err) internal {
        bytes memory code = creationCode(m, q, p);
        vm.expectRevert(err);
        deployer.deploy(code);
    }

    function test_RevertWhen_CommitteeEmpty() external {
        expectDeployRevert(
            addresses(0),
            1,
            RULING_PERIOD,
            abi.encodeWithSelector(Errors.CommitteeArbitrator_InvalidCommitteeSize.selector, 0, 32)
        );
    }

    function test_RevertWhen_CommitteeAbove32Members() external {
        expectDeployRevert(
            addresses(33),
            1,
            RULING_PERIOD,
            abi.encodeWithSelector(Errors.CommitteeArbitrator_InvalidCommitteeSize.selector, 33, 32)
        );
    }

    function test_RevertWhen_QuorumZero() external {
        expectDeployRevert(
            addresses(3),
            0,
            RULING_PERIOD,
            abi.encodeWithSelector(Errors.CommitteeArbitrator_InvalidQuorum.selector, 0, 3)
        );
    }

    function test_RevertWhen_QuorumAboveCommitteeSize() external {
        expectDeployRevert(
            addresses(3),
            4,
            RULING_PERIOD,
            abi.encodeWithSelector(Errors.CommitteeArbitrator_InvalidQuorum.selector, 4, 3)
        );
    }

    function test_RevertWhen_RulingPeriodZero() external {
        expectDeployRevert(
            addresses(3), 2, 0, abi.encodeWithSelector(Errors.CommitteeArbitrator_ZeroRulingPeriod.selector)
        );
    }

    function test_RevertWhen_MemberIsZeroAddress() external {
        address[] memory m = addresses(3);
        m[1] = address(0);
        expectDeployRevert(
            m, 2, RULING_PERIOD, abi.encodeWithSelector(Errors.CommitteeArbitrator_ZeroMember.selector, 1)
        );
    }

    function test_RevertWhen_MemberAppearsTwice() external {
        address[] memory m = addresses(3);
        m[2] = m[0];
        expectDeployRevert(
            m, 2, RULING_PERIOD, abi.encodeWithSelector(Errors.CommitteeArbitrator_DuplicateMember.selector, m[0])
        );
    }

    function test_WhenParametersValid() external view {
        assertEq(arbitrator.members(), committee);
        assertEq(arbitrator.quorum(), QUORUM);
        assertEq(arbitrator.rulingPeriod(), RULING_PERIOD);
        assertEq(arbitrator.MAX_MEMBERS(), 32);
        assertEq(arbitrator.VOTE_TYPEHASH(), VOTE_TYPEHASH);
        for (uint256 i; i < committee.length; ++i) {
            assertTrue(arbitrator.isMember(committee[i]));
        }
        assertFalse(arbitrator.isMember(outsider));
        assertFalse(arbitrator.isMember(address(0)));
        assertEq(arbitrator.disputeCount(), 0);
        assertEq(arbitrator.arbitrationCost(""), 0);
        assertEq(arbitrator.arbitrationCost(hex"0102"), 0);
        assertEq(uint8(arbitrator.disputeStatus(0)), uint8(ICommitteeArbitrator.DisputeStatus.None));

        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            arbitrator.eip712Domain();
        assertEq(name, "CommitteeArbitrator");
        assertEq(version, "1");
        assertEq(chainId, block.chainid);
        assertEq(verifyingContract, address(arbitrator));
        assertEq(arbitrator.voteDigest(7, 42), digestOf(address(arbitrator), 7, 42));
    }

    function test_WhenCommitteeHas32MembersAndQuorum32() external {
        address[] memory m = addresses(32);
        ICommitteeArbitrator a = deployArbitrator(m, 32, 1);
        assertEq(a.members(), m);
        assertEq(a.quorum(), 32);
        assertTrue(a.isMember(m[31]));
    }
}
